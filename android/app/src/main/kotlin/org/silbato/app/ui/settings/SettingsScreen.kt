package org.silbato.app.ui.settings

import android.app.Activity
import android.content.ActivityNotFoundException
import android.content.Context
import android.content.Intent
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.imePadding
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Switch
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.font.FontFamily
import androidx.compose.ui.unit.dp
import androidx.core.content.edit
import com.google.firebase.FirebaseApp
import com.google.firebase.messaging.FirebaseMessaging
import kotlinx.coroutines.launch
import org.silbato.app.R
import org.silbato.app.data.repositories
import org.silbato.app.ui.common.ErrorText
import org.silbato.app.ui.common.Load
import org.silbato.app.ui.common.LoadContent
import org.silbato.app.ui.common.ScreenScaffold
import org.silbato.app.ui.common.SectionTitle
import org.silbato.app.ui.common.attempt
import org.silbato.app.ui.common.findActivity
import org.silbato.app.ui.common.readDocument
import org.silbato.app.ui.common.rememberLoad
import org.silbato.core.NetworkItem
import org.silbato.core.SyncSummary
import org.unifiedpush.android.connector.UnifiedPush

/**
 * Networks (install from a QR code or a file, confirm by fingerprint), content packs,
 * notifications, push providers and sync.
 *
 * QR codes are read by an installed scanner app through the long-standing ZXing SCAN intent
 * (Binary Eye, ZXing Barcode Scanner and others answer it); the app itself has no camera code
 * and no camera permission. The scanned text is then given to the core, which verifies it.
 */
@Composable
fun SettingsScreen() {
    val context = LocalContext.current
    val repos = context.repositories
    val scope = rememberCoroutineScope()
    val networks = rememberLoad { repos.inbox.networks() }
    val rebuilt = rememberLoad { repos.rights.contentWasRebuilt() }
    val prefs = remember { context.getSharedPreferences(PREFS, Context.MODE_PRIVATE) }

    var organizerFingerprint by remember { mutableStateOf("") }
    var qrText by remember { mutableStateOf("") }
    var confirming by remember { mutableStateOf<NetworkItem?>(null) }
    var error by remember { mutableStateOf<Throwable?>(null) }
    var notice by remember { mutableStateOf<String?>(null) }
    var headlines by remember { mutableStateOf(prefs.getBoolean(KEY_HEADLINES, false)) }
    var summary by remember { mutableStateOf<SyncSummary?>(null) }
    var syncing by remember { mutableStateOf(false) }

    val noScanner = stringResource(R.string.no_scanner)

    fun install(block: suspend () -> NetworkItem) {
        scope.launch {
            when (val result = attempt(block)) {
                is Load.Ready -> {
                    error = null
                    qrText = ""
                    networks.reload()
                    if (!result.value.confirmed) confirming = result.value
                }
                is Load.Failed -> error = result.error
                Load.Loading -> Unit
            }
        }
    }

    fun fingerprintOrNull() = organizerFingerprint.ifBlank { null }

    val scan = rememberLauncherForActivityResult(ActivityResultContracts.StartActivityForResult()) { result ->
        val text = result.data?.getStringExtra(SCAN_RESULT)
        if (result.resultCode == Activity.RESULT_OK && text != null) {
            install { repos.inbox.installNetworkQr(text, fingerprintOrNull()) }
        }
    }
    val openProfile = rememberLauncherForActivityResult(ActivityResultContracts.OpenDocument()) { uri ->
        if (uri != null) install { repos.inbox.installNetwork(readDocument(context, uri), fingerprintOrNull()) }
    }
    val packInstalled = stringResource(R.string.pack_installed)
    val openPack = rememberLauncherForActivityResult(ActivityResultContracts.OpenDocument()) { uri ->
        if (uri != null) {
            scope.launch {
                when (val result = attempt { repos.rights.installPack(readDocument(context, uri)) }) {
                    is Load.Ready -> {
                        error = null
                        notice = packInstalled.format(result.value.toString())
                    }
                    is Load.Failed -> error = result.error
                    Load.Loading -> Unit
                }
            }
        }
    }

    ScreenScaffold(title = stringResource(R.string.tab_settings)) { padding ->
        Column(Modifier.fillMaxSize().padding(padding).imePadding().verticalScroll(rememberScrollState())) {
            error?.let { ErrorText(it) }
            notice?.let { Text(it, Modifier.padding(16.dp)) }

            // Networks.
            SectionTitle(stringResource(R.string.networks))
            LoadContent(networks.state) { list ->
                if (list.isEmpty()) Text(stringResource(R.string.no_networks), Modifier.padding(horizontal = 16.dp))
                list.forEach { network -> NetworkRow(network, onConfirm = { confirming = network }) }
            }

            SectionTitle(stringResource(R.string.install_network))
            Text(
                stringResource(R.string.install_network_explain),
                style = MaterialTheme.typography.bodyMedium,
                modifier = Modifier.padding(horizontal = 16.dp),
            )
            OutlinedTextField(
                value = organizerFingerprint,
                onValueChange = { organizerFingerprint = it },
                label = { Text(stringResource(R.string.organizer_fingerprint)) },
                singleLine = true,
                modifier = Modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 8.dp),
            )
            Row(Modifier.padding(horizontal = 16.dp), horizontalArrangement = Arrangement.spacedBy(12.dp)) {
                Button(onClick = {
                    val intent = Intent(SCAN_ACTION)
                        .putExtra("SCAN_MODE", "QR_CODE_MODE")
                        .putExtra("SAVE_HISTORY", false)
                    try {
                        scan.launch(intent)
                    } catch (e: ActivityNotFoundException) {
                        notice = noScanner
                    }
                }) { Text(stringResource(R.string.scan_qr)) }
                OutlinedButton(onClick = { openProfile.launch(arrayOf("*/*")) }) {
                    Text(stringResource(R.string.from_file))
                }
            }
            OutlinedTextField(
                value = qrText,
                onValueChange = { qrText = it },
                label = { Text(stringResource(R.string.paste_qr_text)) },
                modifier = Modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 8.dp),
            )
            TextButton(
                enabled = qrText.isNotBlank(),
                onClick = { install { repos.inbox.installNetworkQr(qrText, fingerprintOrNull()) } },
                modifier = Modifier.padding(horizontal = 8.dp),
            ) { Text(stringResource(R.string.install)) }

            // Content.
            SectionTitle(stringResource(R.string.content))
            if ((rebuilt.state as? Load.Ready)?.value == true) {
                Text(stringResource(R.string.content_rebuilt), Modifier.padding(horizontal = 16.dp))
            }
            TextButton(onClick = { openPack.launch(arrayOf("*/*")) }, modifier = Modifier.padding(horizontal = 8.dp)) {
                Text(stringResource(R.string.install_pack))
            }

            // Notifications.
            SectionTitle(stringResource(R.string.notifications))
            ListItem(
                headlineContent = { Text(stringResource(R.string.headlines_in_notifications)) },
                supportingContent = { Text(stringResource(R.string.headlines_explain)) },
                trailingContent = {
                    Switch(checked = headlines, onCheckedChange = { on ->
                        scope.launch {
                            when (val result = attempt { repos.inbox.setHeadlineInNotifications(on) }) {
                                is Load.Ready -> {
                                    headlines = on
                                    prefs.edit { putBoolean(KEY_HEADLINES, on) }
                                }
                                is Load.Failed -> error = result.error
                                Load.Loading -> Unit
                            }
                        }
                    })
                },
            )

            // Push providers.
            SectionTitle(stringResource(R.string.push))
            Text(
                stringResource(R.string.push_explain),
                style = MaterialTheme.typography.bodyMedium,
                modifier = Modifier.padding(horizontal = 16.dp),
            )
            UnifiedPushRow(onNotice = { notice = it })
            FirebaseRow()

            // Sync.
            SectionTitle(stringResource(R.string.sync))
            Button(
                enabled = !syncing,
                onClick = {
                    syncing = true
                    scope.launch {
                        when (val result = attempt { repos.sync.sync() }) {
                            is Load.Ready -> {
                                error = null
                                summary = result.value
                            }
                            is Load.Failed -> error = result.error
                            Load.Loading -> Unit
                        }
                        syncing = false
                        networks.reload()
                    }
                },
                modifier = Modifier.padding(horizontal = 16.dp),
            ) { Text(stringResource(if (syncing) R.string.working else R.string.sync_now)) }
            summary?.let { s ->
                Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
                    Text(
                        stringResource(
                            R.string.sync_summary,
                            s.alertsAccepted.toString(),
                            s.reportsSent.toString(),
                            s.reportsPending.toString(),
                        ),
                    )
                    // Failures name the step and the error kind; they carry no user content.
                    s.failures.forEach { Text(it, color = MaterialTheme.colorScheme.error, style = MaterialTheme.typography.bodySmall) }
                }
            }
        }
    }

    confirming?.let { network ->
        AlertDialog(
            onDismissRequest = { confirming = null },
            title = { Text(stringResource(R.string.confirm_network_title, network.name)) },
            text = {
                Column(verticalArrangement = Arrangement.spacedBy(12.dp)) {
                    Text(stringResource(R.string.confirm_network_explain))
                    Text(network.fingerprint, style = MaterialTheme.typography.titleLarge, fontFamily = FontFamily.Monospace)
                }
            },
            confirmButton = {
                TextButton(onClick = {
                    confirming = null
                    scope.launch {
                        val result = attempt { repos.inbox.confirmNetwork(network.id, network.fingerprint) }
                        if (result is Load.Failed) error = result.error
                        networks.reload()
                    }
                }) { Text(stringResource(R.string.fingerprints_match)) }
            },
            dismissButton = { TextButton(onClick = { confirming = null }) { Text(stringResource(R.string.not_now)) } },
        )
    }
}

@Composable
private fun NetworkRow(network: NetworkItem, onConfirm: () -> Unit) {
    ListItem(
        headlineContent = { Text(network.name) },
        supportingContent = {
            Column {
                Text(network.hubUrl)
                if (network.regions.isNotEmpty()) Text(network.regions.joinToString(", "))
                Text(stringResource(R.string.network_version, network.version.toString()))
                Text(network.fingerprint, fontFamily = FontFamily.Monospace, style = MaterialTheme.typography.bodySmall)
            }
        },
        trailingContent = {
            if (network.confirmed) {
                Text(stringResource(R.string.confirmed), style = MaterialTheme.typography.labelMedium)
            } else {
                TextButton(onClick = onConfirm) { Text(stringResource(R.string.confirm)) }
            }
        },
    )
}

/** UnifiedPush: the user's distributor (ntfy, NextPush, ...) delivers the hub's pushes. */
@Composable
private fun UnifiedPushRow(onNotice: (String) -> Unit) {
    val context = LocalContext.current
    var distributor by remember { mutableStateOf(UnifiedPush.getAckDistributor(context)) }
    val noDistributor = stringResource(R.string.no_distributor)
    ListItem(
        headlineContent = { Text(stringResource(R.string.unifiedpush)) },
        supportingContent = {
            Text(distributor?.let { stringResource(R.string.push_via, it) } ?: stringResource(R.string.push_off))
        },
        trailingContent = {
            if (distributor == null) {
                TextButton(onClick = {
                    val activity = context.findActivity()
                    if (activity == null) {
                        onNotice(noDistributor)
                    } else {
                        UnifiedPush.tryUseCurrentOrDefaultDistributor(activity) { ok ->
                            if (ok) {
                                UnifiedPush.registerApp(activity)
                                distributor = UnifiedPush.getSavedDistributor(activity)
                            } else {
                                onNotice(noDistributor)
                            }
                        }
                    }
                }) { Text(stringResource(R.string.turn_on)) }
            } else {
                TextButton(onClick = {
                    UnifiedPush.unregisterApp(context)
                    distributor = null
                }) { Text(stringResource(R.string.turn_off)) }
            }
        },
    )
}

/**
 * FCM, only when this build carries a network's google-services.json. Off until turned on: no
 * token exists, and Google is not contacted, before that.
 */
@Composable
private fun FirebaseRow() {
    val context = LocalContext.current
    val configured = remember { FirebaseApp.getApps(context).isNotEmpty() }
    var on by remember { mutableStateOf(configured && FirebaseMessaging.getInstance().isAutoInitEnabled) }
    ListItem(
        headlineContent = { Text(stringResource(R.string.fcm)) },
        supportingContent = {
            Text(stringResource(if (configured) R.string.fcm_explain else R.string.fcm_not_configured))
        },
        trailingContent = {
            Switch(
                checked = on,
                enabled = configured,
                onCheckedChange = { enable ->
                    val messaging = FirebaseMessaging.getInstance()
                    // Turning it on fetches a token, which arrives in onNewToken.
                    messaging.isAutoInitEnabled = enable
                    if (!enable) messaging.deleteToken()
                    on = enable
                },
            )
        },
    )
}

private const val PREFS = "settings"

/**
 * Mirrors the core's headline setting for the switch: the FFI can set it but not read it.
 * Off by default, as in the core.
 */
private const val KEY_HEADLINES = "headlines_in_notifications"
private const val SCAN_ACTION = "com.google.zxing.client.android.SCAN"
private const val SCAN_RESULT = "SCAN_RESULT"
