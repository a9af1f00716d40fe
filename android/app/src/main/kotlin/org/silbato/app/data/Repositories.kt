package org.silbato.app.data

import android.content.Context
import java.util.Locale
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import org.silbato.app.SilbatoApp
import org.silbato.core.AlertItem
import org.silbato.core.CardDetail
import org.silbato.core.CardSummary
import org.silbato.core.Hotline
import org.silbato.core.LogResult
import org.silbato.core.NetworkItem
import org.silbato.core.PlaceItem
import org.silbato.core.PushResult
import org.silbato.core.RecordItem
import org.silbato.core.SearchResult
import org.silbato.core.SightingInput
import org.silbato.core.Silbato
import org.silbato.core.SyncSummary
import org.silbato.core.VaultState

/** The reader's language as the core expects it ("en", "es", ...); the core falls back to English. */
fun readerLang(): String = Locale.getDefault().language.ifEmpty { "en" }

/**
 * The only way the shell reaches the core: every call runs on [Dispatchers.IO] (the core's calls
 * block: SQLite, Argon2id, HTTPS) after the core has been opened. Errors are the generated
 * `SilbatoException`s, passed through untouched for the screens to show.
 */
class Core(private val app: SilbatoApp) {
    suspend fun <T> call(block: (Silbato) -> T): T =
        withContext(Dispatchers.IO) { block(app.silbato()) }
}

/** Runs [block] with the UTF-8 bytes of [text], then overwrites the copy the shell made. */
private inline fun <T> withUtf8(text: String, block: (ByteArray) -> T): T {
    val bytes = text.toByteArray(Charsets.UTF_8)
    try {
        return block(bytes)
    } finally {
        bytes.fill(0)
    }
}

class RightsRepository(private val core: Core) {
    suspend fun cards(lang: String): List<CardSummary> = core.call { it.rights().listCards(lang, null) }

    /** Any language: the core matches accents-optional prefixes in every installed language. */
    suspend fun search(query: String, limit: UInt = 50u): List<SearchResult> =
        core.call { it.rights().search(query, null, limit) }

    suspend fun card(id: String, lang: String): CardDetail = core.call { it.rights().card(id, lang) }

    suspend fun hotlines(): List<Hotline> = core.call { it.rights().hotlines(null) }

    suspend fun disclaimer(lang: String): String = core.call { it.rights().disclaimer(lang) }

    /** Returns the installed pack version. */
    suspend fun installPack(bytes: ByteArray): ULong = core.call { it.rights().installPack(bytes) }

    suspend fun contentWasRebuilt(): Boolean = core.call { it.contentWasRebuilt() }
}

class VaultRepository(private val core: Core) {
    suspend fun state(): VaultState = core.call { it.vault().state() }

    suspend fun init(passphrase: String) = withUtf8(passphrase) { p -> core.call { it.vault().init(p) } }

    suspend fun unlock(passphrase: String) = withUtf8(passphrase) { p -> core.call { it.vault().unlock(p) } }

    suspend fun lock() = core.call { it.vault().lock() }

    suspend fun changePassphrase(old: String, new: String) =
        withUtf8(old) { o -> withUtf8(new) { n -> core.call { it.vault().changePassphrase(o, n) } } }

    suspend fun log(sighting: SightingInput, photos: List<ByteArray>): LogResult =
        core.call { it.vault().log(sighting, photos) }

    suspend fun list(): List<RecordItem> = core.call { it.vault().list() }

    suspend fun record(id: String): RecordItem = core.call { it.vault().record(id) }

    suspend fun amend(id: String, sighting: SightingInput, reason: String?): LogResult =
        core.call { it.vault().amend(id, sighting, reason) }

    /** Seals the record to the network's dispatchers and queues it; returns the report id. */
    suspend fun report(recordId: String, networkId: String): String =
        core.call { it.vault().report(recordId, networkId) }

    /** Panic wipe; returns how long it took in milliseconds. */
    suspend fun wipe(): ULong = core.call { it.vault().wipe() }
}

class InboxRepository(private val core: Core) {
    suspend fun active(lang: String, limit: UInt = 200u): List<AlertItem> =
        core.call { it.inbox().active(lang, limit) }

    suspend fun history(lang: String, limit: UInt = 200u): List<AlertItem> =
        core.call { it.inbox().history(lang, limit) }

    suspend fun alert(id: String, lang: String): AlertItem = core.call { it.inbox().alert(id, lang) }

    suspend fun markRead(id: String) = core.call { it.inbox().markRead(id) }

    suspend fun places(): List<PlaceItem> = core.call { it.inbox().places() }

    suspend fun addPlace(label: String, latitude: Double, longitude: Double, radiusM: Double): PlaceItem =
        core.call { it.inbox().addPlace(label, latitude, longitude, radiusM) }

    suspend fun removePlace(id: String) = core.call { it.inbox().removePlace(id) }

    suspend fun followRegion(code: String) = core.call { it.inbox().followRegion(code) }

    suspend fun followedRegions(): List<String> = core.call { it.inbox().followedRegions() }

    suspend fun networks(): List<NetworkItem> = core.call { it.inbox().networks() }

    suspend fun installNetwork(profile: ByteArray, fingerprint: String?): NetworkItem =
        core.call { it.inbox().installNetwork(profile, fingerprint) }

    suspend fun installNetworkQr(text: String, fingerprint: String?): NetworkItem =
        core.call { it.inbox().installNetworkQr(text, fingerprint) }

    suspend fun confirmNetwork(id: String, fingerprint: String) =
        core.call { it.inbox().confirmNetwork(id, fingerprint) }

    suspend fun ingestPush(payload: ByteArray, lang: String): PushResult =
        core.call { it.inbox().ingestPush(payload, lang) }

    suspend fun setHeadlineInNotifications(on: Boolean) =
        core.call { it.inbox().setHeadlineInNotifications(on) }
}

class SyncRepository(private val core: Core) {
    /** Syncs with every confirmed network's hub. */
    suspend fun sync(): SyncSummary = core.call { it.sync(null) }
}

/** One set of repositories per process. */
class Repositories(app: SilbatoApp) {
    private val core = Core(app)
    val rights = RightsRepository(core)
    val vault = VaultRepository(core)
    val inbox = InboxRepository(core)
    val sync = SyncRepository(core)
}

val Context.repositories: Repositories
    get() = (applicationContext as SilbatoApp).repositories
