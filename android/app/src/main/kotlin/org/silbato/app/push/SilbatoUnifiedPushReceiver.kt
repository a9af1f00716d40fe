package org.silbato.app.push

import android.content.Context
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import org.silbato.app.SilbatoApp
import org.silbato.app.work.PushRegistrationWorker
import org.unifiedpush.android.connector.MessagingReceiver
import org.unifiedpush.android.connector.data.PushEndpoint
import org.unifiedpush.android.connector.data.PushMessage

/**
 * UnifiedPush: the hub POSTs the payload bytes unchanged to the distributor's endpoint (no
 * RFC 8291 layer; the payload is sealed to this device already), so [PushMessage.content] is the
 * payload whether or not the connector reports it as decrypted.
 */
class SilbatoUnifiedPushReceiver : MessagingReceiver() {

    // Runs on the main thread inside onReceive: keep the broadcast alive while the core works.
    override fun onMessage(context: Context, message: PushMessage, instance: String) {
        val app = context.applicationContext as SilbatoApp
        val pending = goAsync()
        app.appScope.launch(Dispatchers.IO) {
            try {
                PushHandler.handle(app, message.content)
            } finally {
                pending.finish()
            }
        }
    }

    override fun onNewEndpoint(context: Context, endpoint: PushEndpoint, instance: String) {
        PushRegistrationWorker.enqueue(context.applicationContext)
    }
}
