package org.silbato.app

import android.app.Application
import java.io.File
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.launch
import org.silbato.app.data.Repositories
import org.silbato.app.push.Notifications
import org.silbato.app.work.SyncWorker
import org.silbato.core.Silbato
import org.silbato.core.SilbatoConfig

/**
 * Opens the Rust core once per process, on a background dispatcher, and hands it to whoever
 * awaits it (screens through the repositories, push receivers, WorkManager jobs).
 */
class SilbatoApp : Application() {

    /** Work that must outlive one screen or one broadcast (push handling). */
    val appScope: CoroutineScope = CoroutineScope(SupervisorJob() + Dispatchers.Default)

    private val core = CompletableDeferred<Silbato>()

    /** The repository layer over the core (every call on Dispatchers.IO). */
    val repositories: Repositories by lazy { Repositories(this) }

    override fun onCreate() {
        super.onCreate()
        Notifications.createChannels(this)
        appScope.launch(Dispatchers.IO) {
            try {
                val dir = File(filesDir, DATA_DIR)
                dir.mkdirs()
                core.complete(
                    Silbato.open(
                        dir.absolutePath,
                        SilbatoConfig(
                            vaultIdleTimeoutSecs = VAULT_IDLE_TIMEOUT_SECS,
                            insecureFastKdfForTests = false,
                        ),
                        AndroidKeystoreKeyStore(this@SilbatoApp),
                    ),
                )
            } catch (e: Exception) {
                // A SilbatoException (damaged inbox, key store unavailable, ...): every screen
                // that awaits the core shows it.
                core.completeExceptionally(e)
            }
        }
        SyncWorker.schedulePeriodic(this)
    }

    /** The opened core; throws what opening it threw. Suspends until it is open. */
    suspend fun silbato(): Silbato = core.await()

    companion object {
        /** Under filesDir: app-private, excluded from every backup (see res/xml). */
        const val DATA_DIR = "silbato"

        /** The vault locks itself after this long without use. */
        val VAULT_IDLE_TIMEOUT_SECS: ULong = 120uL
    }
}
