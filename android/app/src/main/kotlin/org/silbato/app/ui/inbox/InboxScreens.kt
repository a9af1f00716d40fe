package org.silbato.app.ui.inbox

import android.Manifest
import android.os.Build
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.imePadding
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Delete
import androidx.compose.material.icons.filled.Place
import androidx.compose.material.icons.filled.Refresh
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import kotlinx.coroutines.launch
import org.silbato.app.R
import org.silbato.app.data.readerLang
import org.silbato.app.data.repositories
import org.silbato.app.push.Notifications
import org.silbato.app.ui.common.ErrorText
import org.silbato.app.ui.common.Field
import org.silbato.app.ui.common.Load
import org.silbato.app.ui.common.LoadContent
import org.silbato.app.ui.common.ScreenScaffold
import org.silbato.app.ui.common.SectionTitle
import org.silbato.app.ui.common.SecureScreen
import org.silbato.app.ui.common.UseMyLocationButton
import org.silbato.app.ui.common.attempt
import org.silbato.app.ui.common.formatTime
import org.silbato.app.ui.common.labelOf
import org.silbato.app.ui.common.loadItems
import org.silbato.app.ui.common.rememberLoad
import org.silbato.app.ui.rights.dial
import org.silbato.core.AlertItem
import org.silbato.core.Relevance

/** Active alerts, then past alerts and all-clears, as the core lists them. */
@Composable
fun InboxScreen(onOpenAlert: (String) -> Unit, onPlaces: () -> Unit) {
    val context = LocalContext.current
    val repos = context.repositories
    val lang = readerLang()
    val scope = rememberCoroutineScope()
    val active = rememberLoad(lang) { repos.inbox.active(lang) }
    val history = rememberLoad(lang) { repos.inbox.history(lang) }
    var syncing by remember { mutableStateOf(false) }
    var syncError by remember { mutableStateOf<Throwable?>(null) }
    var canNotify by remember { mutableStateOf(Notifications.canPost(context)) }
    val askNotifications = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) { granted ->
        canNotify = granted
    }

    ScreenScaffold(
        title = stringResource(R.string.tab_inbox),
        actions = {
            IconButton(onClick = onPlaces) {
                Icon(Icons.Filled.Place, contentDescription = stringResource(R.string.places))
            }
            IconButton(
                enabled = !syncing,
                onClick = {
                    syncing = true
                    syncError = null
                    scope.launch {
                        val result = attempt { repos.sync.sync() }
                        syncing = false
                        if (result is Load.Failed) syncError = result.error
                        active.reload()
                        history.reload()
                    }
                },
            ) { Icon(Icons.Filled.Refresh, contentDescription = stringResource(R.string.sync_now)) }
        },
    ) { padding ->
        LazyColumn(Modifier.fillMaxSize().padding(padding)) {
            if (!canNotify && Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU) {
                item {
                    Card(Modifier.fillMaxWidth().padding(16.dp)) {
                        Column(Modifier.padding(16.dp)) {
                            Text(stringResource(R.string.notifications_off_explain))
                            TextButton(onClick = { askNotifications.launch(Manifest.permission.POST_NOTIFICATIONS) }) {
                                Text(stringResource(R.string.allow_notifications))
                            }
                        }
                    }
                }
            }
            syncError?.let { e -> item { ErrorText(e) } }
            item { SectionTitle(stringResource(R.string.active_alerts)) }
            loadItems(active.state) { list ->
                if (list.isEmpty()) item { Text(stringResource(R.string.no_active_alerts), Modifier.padding(16.dp)) }
                items(list, key = { "a:" + it.id }) { AlertRow(it) { onOpenAlert(it.id) } }
            }
            item { SectionTitle(stringResource(R.string.past_alerts)) }
            loadItems(history.state) { list ->
                if (list.isEmpty()) item { Text(stringResource(R.string.no_past_alerts), Modifier.padding(16.dp)) }
                items(list, key = { "h:" + it.id }) { AlertRow(it) { onOpenAlert(it.id) } }
            }
        }
    }
}

@Composable
private fun relevanceText(alert: AlertItem): String = when (val r = alert.relevance) {
    is Relevance.SavedPlace -> stringResource(R.string.relevance_place, r.label)
    is Relevance.FollowedRegion -> stringResource(R.string.relevance_region, r.code)
    Relevance.Elsewhere -> stringResource(R.string.relevance_elsewhere)
}

@Composable
private fun AlertRow(alert: AlertItem, onClick: () -> Unit) {
    ListItem(
        overlineContent = {
            Text(
                listOf(
                    if (alert.allClear) stringResource(R.string.all_clear) else labelOf(alert.category),
                    relevanceText(alert),
                ).joinToString(" · "),
            )
        },
        headlineContent = {
            Text(alert.headline, fontWeight = if (alert.read) FontWeight.Normal else FontWeight.Bold)
        },
        supportingContent = {
            Text("${alert.networkName} · ${formatTime(alert.sentMs)} · ${labelOf(alert.certainty)}")
        },
        modifier = Modifier.clickable(onClick = onClick),
    )
}

/** One alert in full; opening it marks it read. */
@Composable
fun AlertScreen(id: String, onBack: () -> Unit) {
    val context = LocalContext.current
    val repo = context.repositories.inbox
    val lang = readerLang()
    val alert = rememberLoad(id, lang) { repo.alert(id, lang) }
    LaunchedEffect(alert.state) {
        val a = (alert.state as? Load.Ready)?.value
        if (a != null && !a.read) attempt { repo.markRead(a.id) }
    }
    ScreenScaffold(title = stringResource(R.string.alert), onBack = onBack) { padding ->
        Column(Modifier.fillMaxSize().padding(padding).verticalScroll(rememberScrollState())) {
            LoadContent(alert.state) { a ->
                if (a.allClear) {
                    Card(
                        colors = CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.secondaryContainer),
                        modifier = Modifier.fillMaxWidth().padding(16.dp),
                    ) {
                        Text(stringResource(R.string.all_clear), style = MaterialTheme.typography.titleLarge, modifier = Modifier.padding(16.dp))
                    }
                }
                Text(a.headline, style = MaterialTheme.typography.headlineSmall, modifier = Modifier.padding(16.dp))
                Field(stringResource(R.string.relevance), relevanceText(a))
                Field(stringResource(R.string.description), a.description)
                Field(stringResource(R.string.instruction), a.instruction)
                a.hotline?.let { number ->
                    ListItem(
                        overlineContent = { Text(stringResource(R.string.hotline)) },
                        headlineContent = { Text(number, style = MaterialTheme.typography.titleMedium) },
                        modifier = Modifier.clickable { dial(context, number) },
                    )
                }
                Field(stringResource(R.string.category), labelOf(a.category))
                Field(stringResource(R.string.severity), labelOf(a.severity))
                Field(stringResource(R.string.certainty), labelOf(a.certainty))
                Field(stringResource(R.string.status), labelOf(a.status))
                Field(stringResource(R.string.sent), formatTime(a.sentMs))
                Field(stringResource(R.string.expires), formatTime(a.expiresMs))
                Field(stringResource(R.string.network), a.networkName)
                Field(stringResource(R.string.signed_by), a.signedBy.joinToString("\n").ifEmpty { null })
            }
        }
    }
}

/** Saved places (kept encrypted on this device; never sent anywhere) and followed regions. */
@Composable
fun PlacesScreen(onBack: () -> Unit) {
    // Saved places say where a family lives: kept out of screenshots like the vault.
    SecureScreen()
    val repo = LocalContext.current.repositories.inbox
    val scope = rememberCoroutineScope()
    val places = rememberLoad { repo.places() }
    val regions = rememberLoad { repo.followedRegions() }
    var label by remember { mutableStateOf("") }
    var latitude by remember { mutableStateOf("") }
    var longitude by remember { mutableStateOf("") }
    var radius by remember { mutableStateOf("300") }
    var region by remember { mutableStateOf("") }
    var error by remember { mutableStateOf<Throwable?>(null) }
    var removing by remember { mutableStateOf<Pair<String, String>?>(null) }

    fun number(text: String) = text.trim().replace(',', '.').toDoubleOrNull()

    ScreenScaffold(title = stringResource(R.string.places), onBack = onBack) { padding ->
        Column(Modifier.fillMaxSize().padding(padding).imePadding().verticalScroll(rememberScrollState())) {
            Text(
                stringResource(R.string.places_explain),
                style = MaterialTheme.typography.bodyMedium,
                modifier = Modifier.padding(16.dp),
            )
            LoadContent(places.state) { list ->
                if (list.isEmpty()) Text(stringResource(R.string.no_places), Modifier.padding(horizontal = 16.dp))
                list.forEach { place ->
                    ListItem(
                        headlineContent = { Text(place.label) },
                        supportingContent = {
                            Text(stringResource(R.string.place_summary, place.latitude, place.longitude, place.radiusM))
                        },
                        trailingContent = {
                            IconButton(onClick = { removing = place.id to place.label }) {
                                Icon(Icons.Filled.Delete, contentDescription = stringResource(R.string.remove))
                            }
                        },
                    )
                }
            }

            SectionTitle(stringResource(R.string.add_place))
            val fieldModifier = Modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 4.dp)
            OutlinedTextField(label, { label = it }, label = { Text(stringResource(R.string.place_label)) }, singleLine = true, modifier = fieldModifier)
            OutlinedTextField(
                latitude, { latitude = it },
                label = { Text(stringResource(R.string.latitude)) },
                isError = latitude.isNotBlank() && number(latitude) == null,
                singleLine = true,
                keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Decimal),
                modifier = fieldModifier,
            )
            OutlinedTextField(
                longitude, { longitude = it },
                label = { Text(stringResource(R.string.longitude)) },
                isError = longitude.isNotBlank() && number(longitude) == null,
                singleLine = true,
                keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Decimal),
                modifier = fieldModifier,
            )
            OutlinedTextField(
                radius, { radius = it },
                label = { Text(stringResource(R.string.radius_m)) },
                isError = number(radius) == null,
                singleLine = true,
                keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Decimal),
                modifier = fieldModifier,
            )
            Row(Modifier.padding(horizontal = 16.dp), horizontalArrangement = Arrangement.spacedBy(12.dp)) {
                UseMyLocationButton(onLocation = {
                    latitude = it.latitude.toString()
                    longitude = it.longitude.toString()
                })
                val lat = number(latitude)
                val lon = number(longitude)
                val r = number(radius)
                Button(
                    enabled = label.isNotBlank() && lat != null && lon != null && r != null,
                    onClick = {
                        scope.launch {
                            val result = attempt { repo.addPlace(label, lat ?: 0.0, lon ?: 0.0, r ?: 0.0) }
                            if (result is Load.Failed) {
                                error = result.error
                            } else {
                                error = null
                                label = ""
                                latitude = ""
                                longitude = ""
                                places.reload()
                            }
                        }
                    },
                ) { Text(stringResource(R.string.save)) }
            }

            SectionTitle(stringResource(R.string.followed_regions))
            Text(
                stringResource(R.string.regions_explain),
                style = MaterialTheme.typography.bodyMedium,
                modifier = Modifier.padding(horizontal = 16.dp),
            )
            LoadContent(regions.state) { list ->
                list.forEach { code -> ListItem(headlineContent = { Text(code) }) }
            }
            Row(Modifier.padding(horizontal = 16.dp, vertical = 8.dp), horizontalArrangement = Arrangement.spacedBy(12.dp)) {
                OutlinedTextField(
                    region, { region = it },
                    label = { Text(stringResource(R.string.region_code)) },
                    singleLine = true,
                    modifier = Modifier.weight(1f),
                )
                Button(
                    enabled = region.isNotBlank(),
                    onClick = {
                        scope.launch {
                            val result = attempt { repo.followRegion(region) }
                            if (result is Load.Failed) {
                                error = result.error
                            } else {
                                error = null
                                region = ""
                                regions.reload()
                            }
                        }
                    },
                    modifier = Modifier.padding(top = 8.dp),
                ) { Text(stringResource(R.string.follow)) }
            }
            error?.let { ErrorText(it) }
        }
    }

    removing?.let { (id, name) ->
        AlertDialog(
            onDismissRequest = { removing = null },
            title = { Text(stringResource(R.string.remove_place)) },
            text = { Text(name) },
            confirmButton = {
                TextButton(onClick = {
                    removing = null
                    scope.launch {
                        val result = attempt { repo.removePlace(id) }
                        if (result is Load.Failed) error = result.error
                        places.reload()
                    }
                }) { Text(stringResource(R.string.remove)) }
            },
            dismissButton = { TextButton(onClick = { removing = null }) { Text(stringResource(R.string.cancel)) } },
        )
    }
}
