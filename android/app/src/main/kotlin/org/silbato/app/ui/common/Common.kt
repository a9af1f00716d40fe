package org.silbato.app.ui.common

import android.app.Activity
import android.content.Context
import android.content.ContextWrapper
import android.net.Uri
import android.view.Window
import android.view.WindowManager
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.RowScope
import androidx.compose.foundation.layout.WindowInsets
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyListScope
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.ArrowBack
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableIntStateOf
import androidx.compose.runtime.produceState
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import java.text.DateFormat
import java.util.Date
import java.util.WeakHashMap
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import org.silbato.app.R
import org.silbato.core.SilbatoException

/** What a screen shows while it waits for the core. */
sealed interface Load<out T> {
    data object Loading : Load<Nothing>
    data class Ready<T>(val value: T) : Load<T>
    data class Failed(val error: Throwable) : Load<Nothing>
}

class Loader<T>(val state: Load<T>, val reload: () -> Unit)

/** Runs [load] when [keys] change or on [Loader.reload]; the previous value stays while reloading. */
@Composable
fun <T> rememberLoad(vararg keys: Any?, load: suspend () -> T): Loader<T> {
    var generation by remember { mutableIntStateOf(0) }
    val state by produceState<Load<T>>(Load.Loading, *keys, generation) {
        value = attempt { load() }
    }
    return Loader(state) { generation++ }
}

/** [block]'s value, or the error it threw (cancellation still cancels). */
suspend fun <T> attempt(block: suspend () -> T): Load<T> =
    try {
        Load.Ready(block())
    } catch (e: CancellationException) {
        throw e
    } catch (e: Exception) {
        Load.Failed(e)
    }

/** The user-facing text for an error from the core. Core reasons carry no user content. */
@Composable
fun errorMessage(error: Throwable): String = when (error) {
    is SilbatoException.WrongPassphrase -> stringResource(R.string.err_wrong_passphrase)
    is SilbatoException.Locked -> stringResource(R.string.err_locked)
    is SilbatoException.NotInitialized -> stringResource(R.string.err_not_initialized)
    is SilbatoException.AlreadyInitialized -> stringResource(R.string.err_already_initialized)
    is SilbatoException.BadSignature -> stringResource(R.string.err_bad_signature)
    is SilbatoException.UntrustedKey -> stringResource(R.string.err_untrusted_key)
    is SilbatoException.Rollback -> stringResource(R.string.err_rollback)
    is SilbatoException.InvalidInput -> stringResource(R.string.err_invalid_input, error.reason)
    is SilbatoException.NotFound -> stringResource(R.string.err_not_found)
    is SilbatoException.Corrupt -> stringResource(R.string.err_corrupt)
    is SilbatoException.Storage -> stringResource(R.string.err_storage)
    is SilbatoException.Network ->
        if (error.retryable) stringResource(R.string.err_network_retry) else stringResource(R.string.err_network)
    is SilbatoException.KeyStore -> stringResource(R.string.err_key_store)
    is FileTooLarge -> stringResource(R.string.err_file_too_large)
    else -> stringResource(R.string.err_unexpected)
}

@Composable
fun ErrorText(error: Throwable, modifier: Modifier = Modifier) {
    Text(
        errorMessage(error),
        color = MaterialTheme.colorScheme.error,
        style = MaterialTheme.typography.bodyMedium,
        modifier = modifier.padding(16.dp),
    )
}

@Composable
fun Loading(modifier: Modifier = Modifier) {
    Box(modifier.fillMaxWidth().padding(24.dp), contentAlignment = Alignment.Center) {
        CircularProgressIndicator()
    }
}

/** Renders a [Load] inside a lazy list: a spinner, the error, or [content]. */
fun <T> LazyListScope.loadItems(load: Load<T>, content: LazyListScope.(T) -> Unit) {
    when (load) {
        Load.Loading -> item { Loading() }
        is Load.Failed -> item { ErrorText(load.error) }
        is Load.Ready -> content(load.value)
    }
}

/** Renders a [Load] in a plain layout. */
@Composable
fun <T> LoadContent(load: Load<T>, content: @Composable (T) -> Unit) {
    when (load) {
        Load.Loading -> Loading()
        is Load.Failed -> ErrorText(load.error)
        is Load.Ready -> content(load.value)
    }
}

/**
 * A screen with a top bar. Window insets: the status bar is taken by the top bar, the navigation
 * bar by the app's bottom bar, so the content itself adds none.
 */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun ScreenScaffold(
    title: String,
    onBack: (() -> Unit)? = null,
    actions: @Composable RowScope.() -> Unit = {},
    floatingActionButton: @Composable () -> Unit = {},
    content: @Composable (PaddingValues) -> Unit,
) {
    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(title) },
                navigationIcon = {
                    if (onBack != null) {
                        IconButton(onClick = onBack) {
                            Icon(Icons.AutoMirrored.Filled.ArrowBack, contentDescription = stringResource(R.string.back))
                        }
                    }
                },
                actions = actions,
            )
        },
        floatingActionButton = floatingActionButton,
        contentWindowInsets = WindowInsets(0, 0, 0, 0),
        content = content,
    )
}

@Composable
fun SectionTitle(text: String, modifier: Modifier = Modifier) {
    Text(
        text,
        style = MaterialTheme.typography.titleMedium,
        color = MaterialTheme.colorScheme.primary,
        modifier = modifier.padding(start = 16.dp, end = 16.dp, top = 20.dp, bottom = 8.dp),
    )
}

/** A label and its value, for detail screens. Nothing is shown for a missing value. */
@Composable
fun Field(label: String, value: String?) {
    if (value.isNullOrEmpty()) return
    Column(Modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 6.dp), verticalArrangement = Arrangement.spacedBy(2.dp)) {
        Text(label, style = MaterialTheme.typography.labelMedium, color = MaterialTheme.colorScheme.onSurfaceVariant)
        Text(value, style = MaterialTheme.typography.bodyLarge)
    }
}

@Composable
fun InlineAction(text: String, onClick: () -> Unit, enabled: Boolean = true) {
    TextButton(onClick = onClick, enabled = enabled, modifier = Modifier.padding(horizontal = 8.dp)) { Text(text) }
}

fun formatTime(ms: Long): String =
    DateFormat.getDateTimeInstance(DateFormat.MEDIUM, DateFormat.SHORT).format(Date(ms))

tailrec fun Context.findActivity(): Activity? = when (this) {
    is Activity -> this
    is ContextWrapper -> baseContext.findActivity()
    else -> null
}

/**
 * FLAG_SECURE while any vault screen is shown: no screenshots, no screen recording, and a blank
 * thumbnail in the recent-apps list. Counted per window, because during a navigation transition
 * the next vault screen appears before the previous one leaves.
 */
@Composable
fun SecureScreen() {
    val activity = LocalContext.current.findActivity() ?: return
    DisposableEffect(activity) {
        SecureWindow.acquire(activity.window)
        onDispose { SecureWindow.release(activity.window) }
    }
}

private object SecureWindow {
    private val holders = WeakHashMap<Window, Int>()

    fun acquire(window: Window) {
        val n = holders[window] ?: 0
        if (n == 0) window.addFlags(WindowManager.LayoutParams.FLAG_SECURE)
        holders[window] = n + 1
    }

    fun release(window: Window) {
        val n = (holders[window] ?: 1) - 1
        if (n <= 0) {
            holders.remove(window)
            window.clearFlags(WindowManager.LayoutParams.FLAG_SECURE)
        } else {
            holders[window] = n
        }
    }
}

/** A file chosen through the Storage Access Framework was larger than the app reads. */
class FileTooLarge : Exception()

/** Reads a document the user picked, off the main thread, refusing anything over [maxBytes]. */
suspend fun readDocument(context: Context, uri: Uri, maxBytes: Int = 16 * 1024 * 1024): ByteArray =
    withContext(Dispatchers.IO) {
        val stream = context.contentResolver.openInputStream(uri) ?: throw java.io.FileNotFoundException()
        stream.use { input ->
            val out = java.io.ByteArrayOutputStream()
            val buffer = ByteArray(64 * 1024)
            var total = 0
            while (true) {
                val n = input.read(buffer)
                if (n < 0) break
                total += n
                if (total > maxBytes) throw FileTooLarge()
                out.write(buffer, 0, n)
            }
            out.toByteArray()
        }
    }
