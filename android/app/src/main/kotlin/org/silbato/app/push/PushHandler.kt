package org.silbato.app.push

import android.content.Context
import android.util.Log
import org.silbato.app.data.readerLang
import org.silbato.app.data.repositories
import org.silbato.app.work.SyncWorker
import org.silbato.core.IngestResult

/**
 * Hands a push payload (FCM or UnifiedPush) to the core and does what it says: sync for a
 * wake-up, post its notification text for a sealed alert, nothing otherwise. The shell reads
 * nothing in the payload itself.
 */
object PushHandler {
    private const val TAG = "SilbatoPush"

    suspend fun handle(context: Context, payload: ByteArray) {
        val result = try {
            context.repositories.inbox.ingestPush(payload, readerLang())
        } catch (e: Exception) {
            // A SilbatoException: forged, expired, not for this device, not Silbato's, or the
            // core could not open. Only the error's kind is logged, never the payload.
            Log.w(TAG, "push not accepted: ${e::class.simpleName}")
            return
        }
        if (result.syncNeeded) SyncWorker.runOnce(context)
        val title = result.notificationTitle ?: return
        // The alert's id, when the core names one, keys its notification.
        val key = when (val ingest = result.ingest) {
            is IngestResult.Accepted -> ingest.id
            is IngestResult.Duplicate -> ingest.id
            is IngestResult.Rejected, null -> null
        }
        Notifications.showAlert(context, title, result.notificationBody, key)
    }
}
