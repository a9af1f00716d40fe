package org.silbato.app.ui.vault

import android.widget.Toast
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.PickVisualMediaRequest
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ExperimentalLayoutApi
import androidx.compose.foundation.layout.FlowRow
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
import androidx.compose.material.icons.filled.Add
import androidx.compose.material.icons.filled.Close
import androidx.compose.material.icons.filled.Delete
import androidx.compose.material.icons.filled.Edit
import androidx.compose.material.icons.filled.Lock
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.ButtonDefaults
import androidx.compose.material3.Card
import androidx.compose.material3.ExtendedFloatingActionButton
import androidx.compose.material3.FilterChip
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
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
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.text.input.PasswordVisualTransformation
import androidx.compose.ui.unit.dp
import androidx.compose.ui.window.DialogProperties
import androidx.compose.ui.window.SecureFlagPolicy
import kotlinx.coroutines.launch
import org.silbato.app.R
import org.silbato.app.data.repositories
import org.silbato.app.ui.common.ErrorText
import org.silbato.app.ui.common.Field
import org.silbato.app.ui.common.Load
import org.silbato.app.ui.common.LoadContent
import org.silbato.app.ui.common.Loading
import org.silbato.app.ui.common.ScreenScaffold
import org.silbato.app.ui.common.SecureScreen
import org.silbato.app.ui.common.SectionTitle
import org.silbato.app.ui.common.UseMyLocationButton
import org.silbato.app.ui.common.attempt
import org.silbato.app.ui.common.formatTime
import org.silbato.app.ui.common.labelOf
import org.silbato.app.ui.common.loadItems
import org.silbato.app.ui.common.readDocument
import org.silbato.app.ui.common.rememberLoad
import org.silbato.app.work.SyncWorker
import org.silbato.core.Activity
import org.silbato.core.Agency
import org.silbato.core.Confidence
import org.silbato.core.LogResult
import org.silbato.core.RecordItem
import org.silbato.core.SilbatoException
import org.silbato.core.VaultState

/** The vault's root: set up, unlock, or the log, as the core's vault state says. */
@Composable
fun VaultScreen(onLog: () -> Unit, onOpenRecord: (String) -> Unit) {
    SecureScreen()
    val repo = LocalContext.current.repositories.vault
    val state = rememberLoad { repo.state() }
    when (val s = state.state) {
        Load.Loading -> ScreenScaffold(stringResource(R.string.tab_vault)) { Loading(Modifier.padding(it)) }
        is Load.Failed -> ScreenScaffold(stringResource(R.string.tab_vault)) { ErrorText(s.error, Modifier.padding(it)) }
        is Load.Ready -> when (s.value) {
            VaultState.NOT_INITIALIZED -> SetupVault(onDone = state.reload)
            VaultState.LOCKED -> UnlockVault(onDone = state.reload)
            VaultState.UNLOCKED -> VaultLog(onLog = onLog, onOpenRecord = onOpenRecord, onStateChanged = state.reload)
        }
    }
}

@Composable
private fun PassphraseField(value: String, onValueChange: (String) -> Unit, label: String) {
    OutlinedTextField(
        value = value,
        onValueChange = onValueChange,
        label = { Text(label) },
        singleLine = true,
        visualTransformation = PasswordVisualTransformation(),
        keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Password),
        modifier = Modifier.fillMaxWidth(),
    )
}

@Composable
private fun SetupVault(onDone: () -> Unit) {
    val repo = LocalContext.current.repositories.vault
    val scope = rememberCoroutineScope()
    var passphrase by remember { mutableStateOf("") }
    var again by remember { mutableStateOf("") }
    var busy by remember { mutableStateOf(false) }
    var error by remember { mutableStateOf<Throwable?>(null) }
    ScreenScaffold(stringResource(R.string.tab_vault)) { padding ->
        Column(
            Modifier.fillMaxSize().padding(padding).imePadding().verticalScroll(rememberScrollState()).padding(16.dp),
            verticalArrangement = Arrangement.spacedBy(12.dp),
        ) {
            Text(stringResource(R.string.vault_setup_explain))
            PassphraseField(passphrase, { passphrase = it }, stringResource(R.string.passphrase))
            PassphraseField(again, { again = it }, stringResource(R.string.passphrase_again))
            if (again.isNotEmpty() && again != passphrase) {
                Text(stringResource(R.string.passphrase_mismatch), color = MaterialTheme.colorScheme.error)
            }
            Button(
                enabled = !busy && passphrase.isNotEmpty() && passphrase == again,
                onClick = {
                    busy = true
                    scope.launch {
                        val result = attempt { repo.init(passphrase) }
                        busy = false
                        passphrase = ""
                        again = ""
                        if (result is Load.Failed) error = result.error else onDone()
                    }
                },
            ) { Text(stringResource(if (busy) R.string.working else R.string.vault_create)) }
            error?.let { ErrorText(it) }
        }
    }
}

@Composable
private fun UnlockVault(onDone: () -> Unit) {
    val repo = LocalContext.current.repositories.vault
    val scope = rememberCoroutineScope()
    var passphrase by remember { mutableStateOf("") }
    var busy by remember { mutableStateOf(false) }
    var error by remember { mutableStateOf<Throwable?>(null) }
    ScreenScaffold(stringResource(R.string.tab_vault)) { padding ->
        Column(
            Modifier.fillMaxSize().padding(padding).imePadding().padding(16.dp),
            verticalArrangement = Arrangement.spacedBy(12.dp),
        ) {
            Text(stringResource(R.string.vault_locked_explain))
            PassphraseField(passphrase, { passphrase = it }, stringResource(R.string.passphrase))
            Button(
                enabled = !busy && passphrase.isNotEmpty(),
                onClick = {
                    busy = true
                    scope.launch {
                        val result = attempt { repo.unlock(passphrase) }
                        busy = false
                        passphrase = ""
                        if (result is Load.Failed) error = result.error else onDone()
                    }
                },
            ) { Text(stringResource(if (busy) R.string.working else R.string.unlock)) }
            error?.let { ErrorText(it) }
        }
    }
}

@Composable
private fun VaultLog(onLog: () -> Unit, onOpenRecord: (String) -> Unit, onStateChanged: () -> Unit) {
    val context = LocalContext.current
    val repo = context.repositories.vault
    val scope = rememberCoroutineScope()
    val records = rememberLoad { repo.list() }
    var confirmWipe by remember { mutableStateOf(false) }
    var changePassphrase by remember { mutableStateOf(false) }
    var error by remember { mutableStateOf<Throwable?>(null) }
    val erased = stringResource(R.string.vault_erased)

    // The core locks the vault after a while without use: show the unlock screen again.
    LaunchedEffect(records.state) {
        if ((records.state as? Load.Failed)?.error is SilbatoException.Locked) onStateChanged()
    }

    ScreenScaffold(
        title = stringResource(R.string.tab_vault),
        actions = {
            IconButton(onClick = { scope.launch { repo.lock(); onStateChanged() } }) {
                Icon(Icons.Filled.Lock, contentDescription = stringResource(R.string.lock))
            }
            IconButton(onClick = { changePassphrase = true }) {
                Icon(Icons.Filled.Edit, contentDescription = stringResource(R.string.change_passphrase))
            }
            IconButton(onClick = { confirmWipe = true }) {
                Icon(
                    Icons.Filled.Delete,
                    contentDescription = stringResource(R.string.panic_wipe),
                    tint = MaterialTheme.colorScheme.error,
                )
            }
        },
        floatingActionButton = {
            ExtendedFloatingActionButton(
                text = { Text(stringResource(R.string.log_sighting)) },
                icon = { Icon(Icons.Filled.Add, contentDescription = null) },
                onClick = onLog,
            )
        },
    ) { padding ->
        LazyColumn(Modifier.fillMaxSize().padding(padding)) {
            error?.let { e -> item { ErrorText(e) } }
            loadItems(records.state) { list ->
                if (list.isEmpty()) item { Text(stringResource(R.string.no_records), Modifier.padding(16.dp)) }
                items(list, key = { it.id }) { record -> RecordRow(record) { onOpenRecord(record.id) } }
            }
        }
    }

    if (confirmWipe) {
        AlertDialog(
            properties = secureDialog,
            onDismissRequest = { confirmWipe = false },
            title = { Text(stringResource(R.string.panic_wipe)) },
            text = { Text(stringResource(R.string.panic_wipe_explain)) },
            confirmButton = {
                TextButton(
                    onClick = {
                        confirmWipe = false
                        scope.launch {
                            val result = attempt { repo.wipe() }
                            if (result is Load.Failed) {
                                error = result.error
                            } else {
                                Toast.makeText(context, erased, Toast.LENGTH_SHORT).show()
                            }
                            onStateChanged()
                        }
                    },
                    colors = ButtonDefaults.textButtonColors(contentColor = MaterialTheme.colorScheme.error),
                ) { Text(stringResource(R.string.erase_now)) }
            },
            dismissButton = { TextButton(onClick = { confirmWipe = false }) { Text(stringResource(R.string.cancel)) } },
        )
    }

    if (changePassphrase) ChangePassphraseDialog(onDismiss = { changePassphrase = false })
}

@Composable
private fun RecordRow(record: RecordItem, onClick: () -> Unit) {
    val s = record.sighting
    ListItem(
        overlineContent = { Text(formatTime(s.observedAtMs)) },
        headlineContent = { Text("${labelOf(s.activity)} · ${labelOf(s.agency)}") },
        supportingContent = { s.place?.let { Text(it) } },
        trailingContent = {
            if (record.amendments > 0u) Text(stringResource(R.string.amended), style = MaterialTheme.typography.labelSmall)
        },
        modifier = Modifier.clickable(onClick = onClick),
    )
}

@Composable
private fun ChangePassphraseDialog(onDismiss: () -> Unit) {
    val repo = LocalContext.current.repositories.vault
    val scope = rememberCoroutineScope()
    var old by remember { mutableStateOf("") }
    var new by remember { mutableStateOf("") }
    var again by remember { mutableStateOf("") }
    var busy by remember { mutableStateOf(false) }
    var error by remember { mutableStateOf<Throwable?>(null) }
    AlertDialog(
        properties = secureDialog,
        onDismissRequest = onDismiss,
        title = { Text(stringResource(R.string.change_passphrase)) },
        text = {
            Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                PassphraseField(old, { old = it }, stringResource(R.string.passphrase_current))
                PassphraseField(new, { new = it }, stringResource(R.string.passphrase_new))
                PassphraseField(again, { again = it }, stringResource(R.string.passphrase_again))
                if (again.isNotEmpty() && again != new) {
                    Text(stringResource(R.string.passphrase_mismatch), color = MaterialTheme.colorScheme.error)
                }
                error?.let { Text(org.silbato.app.ui.common.errorMessage(it), color = MaterialTheme.colorScheme.error) }
            }
        },
        confirmButton = {
            TextButton(
                enabled = !busy && old.isNotEmpty() && new.isNotEmpty() && new == again,
                onClick = {
                    busy = true
                    scope.launch {
                        val result = attempt { repo.changePassphrase(old, new) }
                        busy = false
                        if (result is Load.Failed) {
                            error = result.error
                        } else {
                            old = ""
                            new = ""
                            again = ""
                            onDismiss()
                        }
                    }
                },
            ) { Text(stringResource(if (busy) R.string.working else R.string.save)) }
        },
        dismissButton = { TextButton(onClick = onDismiss) { Text(stringResource(R.string.cancel)) } },
    )
}

/** One record with everything logged about it; amend it or report it to a network. */
@Composable
fun RecordScreen(id: String, onBack: () -> Unit, onAmend: () -> Unit) {
    SecureScreen()
    val context = LocalContext.current
    val repo = context.repositories.vault
    val record = rememberLoad(id) { repo.record(id) }
    var reporting by remember { mutableStateOf(false) }
    var reported by remember { mutableStateOf(false) }
    ScreenScaffold(title = stringResource(R.string.sighting), onBack = onBack) { padding ->
        Column(Modifier.fillMaxSize().padding(padding).verticalScroll(rememberScrollState())) {
            LoadContent(record.state) { r ->
                val s = r.sighting
                Field(stringResource(R.string.observed_at), formatTime(s.observedAtMs))
                Field(stringResource(R.string.recorded_at), formatTime(r.recordedAtMs))
                Field(stringResource(R.string.activity), labelOf(s.activity))
                Field(stringResource(R.string.agency), labelOf(s.agency))
                Field(stringResource(R.string.confidence), labelOf(s.confidence))
                Field(stringResource(R.string.place), s.place)
                if (s.latitude != null && s.longitude != null) {
                    Field(
                        stringResource(R.string.coordinates),
                        "${s.latitude}, ${s.longitude}" + (s.accuracyM?.let { " (± $it m)" } ?: ""),
                    )
                }
                Field(stringResource(R.string.officer_count), s.officerCount?.toString())
                Field(stringResource(R.string.people_detained), s.peopleDetained?.toString())
                Field(stringResource(R.string.uniforms), s.uniforms)
                Field(stringResource(R.string.badges), s.badges.joinToString(", ").ifEmpty { null })
                s.vehicles.forEachIndexed { i, v ->
                    Field(
                        stringResource(R.string.vehicle_n, i + 1),
                        listOfNotNull(v.description, listOfNotNull(v.plate, v.plateState).joinToString(" ").ifEmpty { null })
                            .joinToString(" · "),
                    )
                }
                Field(stringResource(R.string.notes), s.notes)
                Field(stringResource(R.string.photos), r.photos.toString())
                Field(stringResource(R.string.amendments), r.amendments.toString())
                Row(Modifier.padding(16.dp), horizontalArrangement = Arrangement.spacedBy(12.dp)) {
                    OutlinedButton(onClick = onAmend) { Text(stringResource(R.string.amend)) }
                    Button(onClick = { reporting = true }) { Text(stringResource(R.string.report_to_network)) }
                }
                if (reported) {
                    Text(stringResource(R.string.report_queued), Modifier.padding(horizontal = 16.dp))
                }
            }
        }
    }
    if (reporting) {
        ReportDialog(
            recordId = id,
            onDismiss = { reporting = false },
            onQueued = {
                reporting = false
                reported = true
                SyncWorker.runOnce(context)
            },
        )
    }
}

@Composable
private fun ReportDialog(recordId: String, onDismiss: () -> Unit, onQueued: () -> Unit) {
    val repos = LocalContext.current.repositories
    val scope = rememberCoroutineScope()
    val networks = rememberLoad { repos.inbox.networks() }
    var error by remember { mutableStateOf<Throwable?>(null) }
    AlertDialog(
        properties = secureDialog,
        onDismissRequest = onDismiss,
        title = { Text(stringResource(R.string.report_to_network)) },
        text = {
            Column {
                Text(stringResource(R.string.report_explain))
                LoadContent(networks.state) { list ->
                    val confirmed = list.filter { it.confirmed }
                    if (confirmed.isEmpty()) Text(stringResource(R.string.no_confirmed_networks), Modifier.padding(top = 8.dp))
                    confirmed.forEach { network ->
                        ListItem(
                            headlineContent = { Text(network.name) },
                            modifier = Modifier.clickable {
                                scope.launch {
                                    val result = attempt { repos.vault.report(recordId, network.id) }
                                    if (result is Load.Failed) error = result.error else onQueued()
                                }
                            },
                        )
                    }
                }
                error?.let { ErrorText(it) }
            }
        },
        confirmButton = {},
        dismissButton = { TextButton(onClick = onDismiss) { Text(stringResource(R.string.cancel)) } },
    )
}

/** Log a new sighting ([recordId] null) or amend one. */
@Composable
fun SightingFormScreen(recordId: String?, onBack: () -> Unit, onSaved: (String) -> Unit) {
    SecureScreen()
    val repo = LocalContext.current.repositories.vault
    val title = stringResource(if (recordId == null) R.string.log_sighting else R.string.amend)
    if (recordId == null) {
        val form = remember { SightingForm(null) }
        ScreenScaffold(title = title, onBack = onBack) { padding ->
            SightingFormContent(form, recordId = null, modifier = Modifier.padding(padding), onSaved = onSaved)
        }
    } else {
        val record = rememberLoad(recordId) { repo.record(recordId) }
        ScreenScaffold(title = title, onBack = onBack) { padding ->
            when (val s = record.state) {
                Load.Loading -> Loading(Modifier.padding(padding))
                is Load.Failed -> ErrorText(s.error, Modifier.padding(padding))
                is Load.Ready -> {
                    val form = remember(s.value.id) { SightingForm(s.value.sighting) }
                    SightingFormContent(form, recordId = recordId, modifier = Modifier.padding(padding), onSaved = onSaved)
                }
            }
        }
    }
}

@OptIn(ExperimentalLayoutApi::class)
@Composable
private fun <T> Chips(
    options: List<T>,
    selected: T?,
    label: @Composable (T) -> String,
    onSelect: (T) -> Unit,
) {
    FlowRow(
        Modifier.fillMaxWidth().padding(horizontal = 16.dp),
        horizontalArrangement = Arrangement.spacedBy(8.dp),
    ) {
        options.forEach { option ->
            FilterChip(selected = option == selected, onClick = { onSelect(option) }, label = { Text(label(option)) })
        }
    }
}

@Composable
private fun FormField(
    value: String,
    onValueChange: (String) -> Unit,
    label: String,
    modifier: Modifier = Modifier,
    isError: Boolean = false,
    keyboardType: KeyboardType = KeyboardType.Text,
    singleLine: Boolean = true,
) {
    OutlinedTextField(
        value = value,
        onValueChange = onValueChange,
        label = { Text(label) },
        isError = isError,
        singleLine = singleLine,
        minLines = if (singleLine) 1 else 3,
        keyboardOptions = KeyboardOptions(keyboardType = keyboardType),
        modifier = modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 4.dp),
    )
}

@Composable
private fun SightingFormContent(form: SightingForm, recordId: String?, modifier: Modifier, onSaved: (String) -> Unit) {
    val context = LocalContext.current
    val repo = context.repositories.vault
    val scope = rememberCoroutineScope()
    var busy by remember { mutableStateOf(false) }
    var error by remember { mutableStateOf<Throwable?>(null) }
    var matches by remember { mutableStateOf<LogResult?>(null) }
    val pickPhotos = rememberLauncherForActivityResult(ActivityResultContracts.PickMultipleVisualMedia(MAX_PHOTOS)) { uris ->
        form.photos.addAll(uris)
    }

    Column(modifier.fillMaxSize().imePadding().verticalScroll(rememberScrollState())) {
        SectionTitle(stringResource(R.string.when_section))
        Text(
            stringResource(R.string.observed_at_value, formatTime(form.observedAtMs)),
            Modifier.padding(horizontal = 16.dp),
        )
        FormField(form.minutesAgo, form::updateMinutesAgo, stringResource(R.string.minutes_ago), keyboardType = KeyboardType.Number)

        SectionTitle(stringResource(R.string.activity) + " *")
        Chips(Activity.entries, form.activity, { labelOf(it) }) { form.activity = it }
        SectionTitle(stringResource(R.string.agency))
        Chips(Agency.entries, form.agency, { labelOf(it) }) { form.agency = it }
        SectionTitle(stringResource(R.string.confidence) + " *")
        Chips(Confidence.entries, form.confidence, { labelOf(it) }) { form.confidence = it }

        SectionTitle(stringResource(R.string.where_section))
        FormField(form.place, { form.place = it }, stringResource(R.string.place))
        FormField(form.latitude, { form.latitude = it }, stringResource(R.string.latitude), isError = form.latitudeInvalid, keyboardType = KeyboardType.Decimal)
        FormField(form.longitude, { form.longitude = it }, stringResource(R.string.longitude), isError = form.longitudeInvalid, keyboardType = KeyboardType.Decimal)
        FormField(form.accuracy, { form.accuracy = it }, stringResource(R.string.accuracy_m), isError = form.accuracyInvalid, keyboardType = KeyboardType.Decimal)
        UseMyLocationButton(
            onLocation = { location ->
                form.latitude = location.latitude.toString()
                form.longitude = location.longitude.toString()
                form.accuracy = if (location.hasAccuracy()) location.accuracy.toString() else ""
            },
            modifier = Modifier.padding(horizontal = 16.dp),
        )

        SectionTitle(stringResource(R.string.who_section))
        FormField(form.officerCount, { form.officerCount = it }, stringResource(R.string.officer_count), isError = form.officerCountInvalid, keyboardType = KeyboardType.Number)
        FormField(form.peopleDetained, { form.peopleDetained = it }, stringResource(R.string.people_detained), isError = form.peopleDetainedInvalid, keyboardType = KeyboardType.Number)
        FormField(form.uniforms, { form.uniforms = it }, stringResource(R.string.uniforms))
        form.badges.forEachIndexed { i, badge ->
            Row {
                FormField(badge, { form.badges[i] = it }, stringResource(R.string.badge_n, i + 1), modifier = Modifier.weight(1f))
                IconButton(onClick = { form.badges.removeAt(i) }) {
                    Icon(Icons.Filled.Close, contentDescription = stringResource(R.string.remove))
                }
            }
        }
        TextButton(onClick = { form.badges.add("") }, modifier = Modifier.padding(horizontal = 8.dp)) {
            Text(stringResource(R.string.add_badge))
        }

        SectionTitle(stringResource(R.string.vehicles))
        form.vehicles.forEachIndexed { i, vehicle ->
            Card(Modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 4.dp)) {
                Row {
                    Text(
                        stringResource(R.string.vehicle_n, i + 1),
                        style = MaterialTheme.typography.labelLarge,
                        modifier = Modifier.padding(16.dp).weight(1f),
                    )
                    IconButton(onClick = { form.vehicles.removeAt(i) }) {
                        Icon(Icons.Filled.Close, contentDescription = stringResource(R.string.remove))
                    }
                }
                FormField(vehicle.description, { vehicle.description = it }, stringResource(R.string.vehicle_description))
                FormField(vehicle.plate, { vehicle.plate = it }, stringResource(R.string.plate))
                FormField(vehicle.plateState, { vehicle.plateState = it }, stringResource(R.string.plate_state), modifier = Modifier.padding(bottom = 8.dp))
            }
        }
        TextButton(onClick = { form.vehicles.add(VehicleFields()) }, modifier = Modifier.padding(horizontal = 8.dp)) {
            Text(stringResource(R.string.add_vehicle))
        }

        SectionTitle(stringResource(R.string.notes))
        FormField(form.notes, { form.notes = it }, stringResource(R.string.notes_hint), singleLine = false)

        if (recordId == null) {
            SectionTitle(stringResource(R.string.photos))
            Text(
                stringResource(R.string.photos_selected, form.photos.size),
                Modifier.padding(horizontal = 16.dp),
            )
            Row(Modifier.padding(horizontal = 8.dp)) {
                TextButton(onClick = {
                    pickPhotos.launch(PickVisualMediaRequest(ActivityResultContracts.PickVisualMedia.ImageOnly))
                }) { Text(stringResource(R.string.add_photos)) }
                if (form.photos.isNotEmpty()) {
                    TextButton(onClick = { form.photos.clear() }) { Text(stringResource(R.string.clear)) }
                }
            }
        } else {
            SectionTitle(stringResource(R.string.amend_reason))
            FormField(form.reason, { form.reason = it }, stringResource(R.string.amend_reason_hint))
        }

        error?.let { ErrorText(it) }
        Button(
            enabled = !busy && form.ready,
            onClick = {
                busy = true
                error = null
                scope.launch {
                    val result = attempt {
                        if (recordId == null) {
                            val photos = form.photos.map { readDocument(context, it, MAX_PHOTO_BYTES) }
                            try {
                                repo.log(form.toInput(), photos)
                            } finally {
                                photos.forEach { it.fill(0) }
                            }
                        } else {
                            repo.amend(recordId, form.toInput(), form.reason.ifBlank { null })
                        }
                    }
                    busy = false
                    when (result) {
                        is Load.Ready ->
                            if (result.value.plateMatches.isEmpty()) onSaved(result.value.id) else matches = result.value
                        is Load.Failed -> error = result.error
                        Load.Loading -> Unit
                    }
                }
            },
            modifier = Modifier.fillMaxWidth().padding(16.dp),
        ) { Text(stringResource(if (busy) R.string.working else R.string.save)) }
    }

    matches?.let { result ->
        AlertDialog(
            properties = secureDialog,
            onDismissRequest = { onSaved(result.id) },
            title = { Text(stringResource(R.string.plate_matches)) },
            text = {
                Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                    Text(stringResource(R.string.plate_matches_explain))
                    result.plateMatches.forEach { m ->
                        Text(
                            listOfNotNull(m.plate, m.state, m.description, labelOf(m.kind)).joinToString(" · "),
                            style = MaterialTheme.typography.bodyLarge,
                        )
                    }
                }
            },
            confirmButton = { TextButton(onClick = { onSaved(result.id) }) { Text(stringResource(R.string.ok)) } },
        )
    }
}

/** Vault dialogs are windows of their own: keep them out of screenshots too. */
private val secureDialog = DialogProperties(securePolicy = SecureFlagPolicy.SecureOn)

private const val MAX_PHOTOS = 10
private const val MAX_PHOTO_BYTES = 32 * 1024 * 1024
