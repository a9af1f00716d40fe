package org.silbato.app

import android.content.Context
import android.content.pm.PackageManager
import android.os.Build
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import androidx.annotation.RequiresApi
import java.security.GeneralSecurityException
import java.security.InvalidKeyException
import java.security.ProviderException
import java.security.UnrecoverableKeyException
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec
import org.silbato.core.KeyStore
import org.silbato.core.KeyStoreFailure
import java.security.KeyStore as JavaKeyStore

/**
 * The core's platform key store, backed by Android Keystore: one AES-256-GCM key per label,
 * generated inside the secure hardware (StrongBox when the device has it) and never
 * exportable. A wrapped blob is IV (12 bytes) || ciphertext || GCM tag (16 bytes), with the label
 * as associated data so a blob cannot be unwrapped under another label.
 *
 * Called by the Rust core from its own threads. Every failure leaves as a [KeyStoreFailure];
 * nothing else may cross back into Rust.
 *
 * The keys do not require user authentication by default: the inbox key must unwrap when a push
 * arrives on a locked phone, and the vault is protected by its passphrase, not by this store.
 */
class AndroidKeystoreKeyStore(
    context: Context,
    private val userAuthenticationRequired: Boolean = false,
) : KeyStore {

    private val hasStrongBox: Boolean =
        Build.VERSION.SDK_INT >= Build.VERSION_CODES.P &&
            context.packageManager.hasSystemFeature(PackageManager.FEATURE_STRONGBOX_KEYSTORE)

    override fun wrap(label: String, secret: ByteArray): ByteArray = guarded {
        try {
            val key = existingKey(label) ?: createKey(label)
            val cipher = Cipher.getInstance(TRANSFORMATION)
            // The Keystore picks a fresh random IV (randomized encryption is required).
            cipher.init(Cipher.ENCRYPT_MODE, key)
            cipher.updateAAD(label.toByteArray(Charsets.UTF_8))
            val iv = cipher.iv
            if (iv == null || iv.size != IV_BYTES) throw KeyStoreFailure.Unexpected()
            iv + cipher.doFinal(secret)
        } finally {
            secret.fill(0)
        }
    }

    override fun unwrap(label: String, blob: ByteArray): ByteArray = guarded {
        val key = existingKey(label) ?: throw KeyStoreFailure.NotFound()
        if (blob.size < IV_BYTES + TAG_BYTES) throw KeyStoreFailure.Refused()
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.DECRYPT_MODE, key, GCMParameterSpec(TAG_BYTES * 8, blob, 0, IV_BYTES))
        cipher.updateAAD(label.toByteArray(Charsets.UTF_8))
        cipher.doFinal(blob, IV_BYTES, blob.size - IV_BYTES)
    }

    override fun destroy(label: String) = guarded {
        // Deleting an alias that does not exist is not an error: destroy is idempotent.
        keyStore().deleteEntry(alias(label))
    }

    private fun keyStore(): JavaKeyStore =
        JavaKeyStore.getInstance(ANDROID_KEYSTORE).apply { load(null) }

    private fun alias(label: String): String = ALIAS_PREFIX + label

    private fun existingKey(label: String): SecretKey? =
        keyStore().getKey(alias(label), null) as? SecretKey

    @Synchronized
    private fun createKey(label: String): SecretKey {
        // Another thread may have created it while this one waited for the lock.
        existingKey(label)?.let { return it }
        if (hasStrongBox && Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) {
            try {
                return generateStrongBox(label)
            } catch (e: ProviderException) {
                // StrongBoxUnavailableException (a ProviderException) or a StrongBox that
                // refuses the parameters: fall back to the TEE below.
            }
        }
        return generate(spec(label).build())
    }

    @RequiresApi(Build.VERSION_CODES.P)
    private fun generateStrongBox(label: String): SecretKey =
        generate(spec(label).setIsStrongBoxBacked(true).build())

    private fun spec(label: String): KeyGenParameterSpec.Builder {
        val builder = KeyGenParameterSpec.Builder(
            alias(label),
            KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT,
        )
            .setKeySize(256)
            .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
            .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
            .setRandomizedEncryptionRequired(true)
            .setUserAuthenticationRequired(userAuthenticationRequired)
        if (userAuthenticationRequired) {
            if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.R) {
                builder.setUserAuthenticationParameters(
                    AUTH_VALIDITY_SECS,
                    KeyProperties.AUTH_BIOMETRIC_STRONG or KeyProperties.AUTH_DEVICE_CREDENTIAL,
                )
            } else {
                @Suppress("DEPRECATION")
                builder.setUserAuthenticationValidityDurationSeconds(AUTH_VALIDITY_SECS)
            }
        }
        return builder
    }

    private fun generate(spec: KeyGenParameterSpec): SecretKey =
        KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, ANDROID_KEYSTORE).run {
            init(spec)
            generateKey()
        }

    /**
     * Runs [block] and turns anything it throws into a [KeyStoreFailure]. Catches Throwable on
     * purpose: this is the boundary back into Rust, and an unexpected error there must become
     * a value the core can act on.
     */
    private inline fun <T> guarded(block: () -> T): T =
        try {
            block()
        } catch (e: KeyStoreFailure) {
            throw e
        } catch (e: AEADBadTagException) {
            // Wrong key for this blob, or a blob that was changed.
            throw KeyStoreFailure.Refused()
        } catch (e: InvalidKeyException) {
            // Includes KeyPermanentlyInvalidatedException (lock screen removed, for a key that
            // requires authentication) and UserNotAuthenticatedException.
            throw KeyStoreFailure.Refused()
        } catch (e: UnrecoverableKeyException) {
            throw KeyStoreFailure.Refused()
        } catch (e: java.security.KeyStoreException) {
            throw KeyStoreFailure.Unavailable()
        } catch (e: ProviderException) {
            // The Keystore daemon or the secure hardware failed or is busy.
            throw KeyStoreFailure.Unavailable()
        } catch (e: GeneralSecurityException) {
            throw KeyStoreFailure.Unexpected()
        } catch (e: java.io.IOException) {
            throw KeyStoreFailure.Unavailable()
        } catch (e: Throwable) {
            throw KeyStoreFailure.Unexpected()
        }

    private companion object {
        const val ANDROID_KEYSTORE = "AndroidKeyStore"
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val ALIAS_PREFIX = "org.silbato.keystore/"
        const val IV_BYTES = 12
        const val TAG_BYTES = 16
        const val AUTH_VALIDITY_SECS = 30
    }
}
