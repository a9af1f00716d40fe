package org.silbato.app.push

import android.util.Base64
import com.google.firebase.messaging.FirebaseMessagingService
import com.google.firebase.messaging.RemoteMessage
import kotlinx.coroutines.runBlocking
import org.silbato.app.work.PushRegistrationWorker

/**
 * FCM: the hub sends a data-only message whose "silbato" key holds the payload (standard base64,
 * padded) — a content-free wake-up or an alert sealed to this device. Google sees neither.
 */
class SilbatoFirebaseService : FirebaseMessagingService() {

    // Called on a background thread that FCM keeps alive for a short while: block on the core.
    override fun onMessageReceived(message: RemoteMessage) {
        val encoded = message.data[DATA_KEY] ?: return
        val payload = try {
            Base64.decode(encoded, Base64.DEFAULT)
        } catch (e: IllegalArgumentException) {
            return
        }
        runBlocking { PushHandler.handle(applicationContext, payload) }
    }

    override fun onNewToken(token: String) {
        PushRegistrationWorker.enqueue(applicationContext)
    }

    private companion object {
        const val DATA_KEY = "silbato"
    }
}
