// The three journeys (rights, vault, inbox), concurrency and per-call overhead, walked through
// the generated Kotlin bindings exactly as the Android shell calls them. A plain `main`: exit
// code 0 and a last line `KOTLIN: N passed, 0 failed` mean everything passed.
//
// Run by scripts/foreign-tests-kotlin, which passes:
//   args[0]  the directory written by `cargo run -p silbato-ffi --example fixtures -- DIR`
//   args[1]  the fixtures binary, called at run time as `fixtures push HEX ALERT OUT` to seal the
//            alert to this device's push key (the key only exists once the core has opened).
@file:JvmName("JourneysTest")

package org.silbato.tests

import org.silbato.core.Activity
import org.silbato.core.Agency
import org.silbato.core.AlertItem
import org.silbato.core.AlertStatus
import org.silbato.core.BlockKind
import org.silbato.core.Category
import org.silbato.core.Certainty
import org.silbato.core.Confidence
import org.silbato.core.IngestResult
import org.silbato.core.KeyStore
import org.silbato.core.KeyStoreFailure
import org.silbato.core.Relevance
import org.silbato.core.SightingInput
import org.silbato.core.Silbato
import org.silbato.core.SilbatoConfig
import org.silbato.core.SilbatoException
import org.silbato.core.VaultState
import org.silbato.core.VehicleInfo
import java.awt.image.BufferedImage
import java.io.ByteArrayOutputStream
import java.io.File
import java.nio.file.Files
import java.security.SecureRandom
import java.util.Base64
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.ConcurrentLinkedQueue
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec
import javax.imageio.ImageIO
import kotlin.system.exitProcess

// ---------------------------------------------------------------------------------------------
// A key store written in Kotlin: one random AES-256 key per label (what Android Keystore holds in
// hardware), AES-GCM with the label as associated data, blob = nonce || ciphertext || tag.
// ---------------------------------------------------------------------------------------------

class AesKeyStore : KeyStore {
    private val keys = ConcurrentHashMap<String, SecretKey>()
    private val rng = SecureRandom()
    private val counts = ConcurrentHashMap<String, AtomicInteger>()

    /** When set, `unwrap` throws it: how a shell's unexpected exception must surface. */
    @Volatile var failUnwrapWith: Exception? = null

    fun calls(op: String, label: String): Int = counts["$op:$label"]?.get() ?: 0

    fun labels(): Set<String> = keys.keys.toSet()

    private fun count(op: String, label: String) {
        counts.computeIfAbsent("$op:$label") { AtomicInteger() }.incrementAndGet()
    }

    private fun cipher(mode: Int, key: SecretKey, nonce: ByteArray, label: String): Cipher =
        Cipher.getInstance("AES/GCM/NoPadding").apply {
            init(mode, key, GCMParameterSpec(128, nonce))
            updateAAD(label.toByteArray(Charsets.UTF_8))
        }

    override fun wrap(label: String, secret: ByteArray): ByteArray {
        count("wrap", label)
        val key = keys.computeIfAbsent(label) {
            KeyGenerator.getInstance("AES").apply { init(256, rng) }.generateKey()
        }
        val nonce = ByteArray(12).also { rng.nextBytes(it) }
        return nonce + cipher(Cipher.ENCRYPT_MODE, key, nonce, label).doFinal(secret)
    }

    override fun unwrap(label: String, blob: ByteArray): ByteArray {
        count("unwrap", label)
        failUnwrapWith?.let { throw it }
        val key = keys[label] ?: throw KeyStoreFailure.NotFound()
        if (blob.size < 12 + 16) throw KeyStoreFailure.Refused()
        return try {
            cipher(Cipher.DECRYPT_MODE, key, blob.copyOfRange(0, 12), label)
                .doFinal(blob, 12, blob.size - 12)
        } catch (e: AEADBadTagException) {
            throw KeyStoreFailure.Refused()
        }
    }

    override fun destroy(label: String) {
        count("destroy", label)
        keys.remove(label)
    }
}

// ---------------------------------------------------------------------------------------------
// A minimal harness.
// ---------------------------------------------------------------------------------------------

var passed = 0
var failed = 0
val tempDirs = mutableListOf<File>()

fun check(name: String, body: () -> Unit) {
    val t0 = System.nanoTime()
    try {
        body()
        passed++
        println("ok    $name (${(System.nanoTime() - t0) / 1_000_000} ms)")
    } catch (e: Throwable) {
        failed++
        println("FAIL  $name: ${e::class.qualifiedName}: ${e.message}")
        e.printStackTrace(System.out)
    }
}

fun assertTrue(cond: Boolean, what: () -> String) {
    if (!cond) throw AssertionError(what())
}

fun <T> assertEq(expected: T, actual: T, what: String) {
    if (expected != actual) throw AssertionError("$what: expected <$expected>, got <$actual>")
}

inline fun <reified T : Throwable> expectThrows(what: String, block: () -> Unit): T {
    try {
        block()
    } catch (e: Throwable) {
        if (e is T) return e
        throw AssertionError("$what: expected ${T::class.qualifiedName}, got ${e::class.qualifiedName}: ${e.message}", e)
    }
    throw AssertionError("$what: expected ${T::class.qualifiedName}, nothing was thrown")
}

fun freshDir(tag: String): File =
    Files.createTempDirectory("silbato-kt-$tag-").toFile().also { tempDirs += it }

// The labels the core wraps its keys under (silbato-core inbox::PLATFORM_LABEL, vault::PLATFORM_LABEL).
const val INBOX_LABEL = "silbato.inbox.key"
const val VAULT_LABEL = "silbato.vault.key"

val fastConfig = SilbatoConfig(vaultIdleTimeoutSecs = 0uL, insecureFastKdfForTests = true)

fun utf8(s: String): ByteArray = s.toByteArray(Charsets.UTF_8)

fun hex(bytes: ByteArray): String = bytes.joinToString("") { "%02x".format(it) }

fun sighting(notes: String, plate: String? = null, observedAtMs: Long = System.currentTimeMillis() - 60_000) =
    SightingInput(
        observedAtMs = observedAtMs,
        latitude = 41.8090,
        longitude = -87.6650,
        accuracyM = 12.0,
        place = "47th and Ashland, outside the bakery",
        activity = Activity.RAID,
        agency = Agency.ICE,
        officerCount = 6u,
        vehicles = listOf(VehicleInfo(description = "grey unmarked van", plate = plate, plateState = "IL")),
        uniforms = "vests marked POLICE",
        badges = listOf(),
        peopleDetained = 1u,
        notes = notes,
        confidence = Confidence.OBSERVED,
    )

/** A 4x4 PNG made on the spot (the vault strips metadata from JPEG and PNG only). */
fun tinyPng(): ByteArray {
    val img = BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB)
    for (x in 0 until 4) for (y in 0 until 4) img.setRGB(x, y, (x * 60 shl 16) or (y * 60 shl 8))
    return ByteArrayOutputStream().also { ImageIO.write(img, "png", it) }.toByteArray()
}

// ---------------------------------------------------------------------------------------------
// Fixtures.
// ---------------------------------------------------------------------------------------------

class Fixtures(val dir: File, val bin: File) {
    val profile: ByteArray get() = File(dir, "profile.json").readBytes()
    val fingerprint: String get() = File(dir, "fingerprint.txt").readText().trim()
    val observedFile = File(dir, "alert-observed.json")
    val observed: ByteArray get() = observedFile.readBytes()
    val tampered: ByteArray get() = File(dir, "alert-tampered.json").readBytes()

    /** The first circle's centre of the observed alert, read from its signed payload. */
    val alertCentre: Pair<Double, Double> by lazy {
        val env = String(observed, Charsets.UTF_8)
        val b64 = Regex("\"payload\"\\s*:\\s*\"([^\"]+)\"").find(env)?.groupValues?.get(1)
            ?: throw AssertionError("alert-observed.json has no payload")
        val payload = String(Base64.getDecoder().decode(b64), Charsets.UTF_8)
        fun num(field: String) = Regex("\"$field\"\\s*:\\s*(-?[0-9.]+)").find(payload)?.groupValues?.get(1)?.toDouble()
            ?: throw AssertionError("the alert payload has no $field")
        Pair(num("lat"), num("lon"))
    }

    /** Seals the observed alert to `devicePushKey` with the Rust fixtures binary. */
    fun pushPayload(devicePushKey: ByteArray): ByteArray {
        val out = File.createTempFile("silbato-push-", ".bin").also { it.deleteOnExit() }
        val p = ProcessBuilder(bin.path, "push", hex(devicePushKey), observedFile.path, out.path)
            .redirectErrorStream(true).start()
        val text = p.inputStream.bufferedReader().readText()
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly()
            throw AssertionError("fixtures push timed out")
        }
        assertTrue(p.exitValue() == 0) { "fixtures push failed (${p.exitValue()}): $text" }
        return out.readBytes().also { out.delete() }
    }

    companion object {
        fun load(args: Array<String>): Fixtures {
            require(args.size >= 2) { "usage: JourneysTest FIXTURES_DIR FIXTURES_BIN" }
            val f = Fixtures(File(args[0]), File(args[1]))
            for (name in listOf("profile.json", "fingerprint.txt", "alert-observed.json", "alert-tampered.json")) {
                require(File(f.dir, name).isFile) { "missing fixture ${f.dir}/$name" }
            }
            require(f.bin.canExecute()) { "fixtures binary ${f.bin} is not executable" }
            return f
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Journeys.
// ---------------------------------------------------------------------------------------------

fun rightsJourney() {
    val store = AesKeyStore()
    Silbato.open(freshDir("rights").path, fastConfig, store).use { s ->
        val rights = s.rights()
        var firstHit = ""
        check("rights: the bundled cards are there offline, in Spanish") {
            val cards = rights.listCards("es", null)
            assertTrue(cards.size >= 5) { "only ${cards.size} cards" }
            assertTrue(cards.any { it.id == "red-card" && it.lang == "es" && !it.fallback }) { "no Spanish red card" }
        }
        check("rights: search 'policia' (no accent) finds Spanish cards with highlights") {
            val hits = rights.search("policia", "es", 10u)
            assertTrue(hits.isNotEmpty()) { "no hits for 'policia'" }
            assertTrue(hits.all { it.lang == "es" }) { "non-Spanish hit: ${hits.map { it.lang }}" }
            assertTrue(hits.any { h -> h.snippet.any { it.highlight && it.text.isNotBlank() } }) { "no highlighted span" }
            assertTrue(hits.size <= 10) { "limit ignored" }
            firstHit = hits.first().cardId
        }
        check("rights: odd input is never an error") {
            for (q in listOf("", "   ", "\"", "policia OR", "*", "NEAR(", "🦺", "a".repeat(5000))) {
                rights.search(q, "es", 5u)
            }
            assertEq(0, rights.search("policia", "es", 0u).size, "limit 0")
        }
        check("rights: show the top hit and the red card (blocks, say, showAgent, sources)") {
            val top = rights.card(firstHit, "es")
            assertEq(firstHit, top.id, "card id")
            assertTrue(top.blocks.isNotEmpty() && top.title.isNotBlank()) { "empty card ${top.id}" }
            val red = rights.card("red-card", "es")
            assertEq("es", red.lang, "lang")
            assertTrue(!red.fallback) { "red card fell back to English" }
            assertTrue(red.blocks.any { it.kind == BlockKind.HEADING }) { "no heading block" }
            assertTrue(red.blocks.any { it.kind == BlockKind.NUMBERED && it.items.size >= 3 }) { "no numbered list" }
            assertTrue(red.blocks.none { it.kind == BlockKind.HEADING && it.items.size != 1 }) {
                "a heading with other than one item: ${red.blocks.map { it.kind }}"
            }
            assertTrue(red.blocks.any { it.strong.isNotEmpty() }) { "no bold runs" }
            assertTrue(red.say.size >= 3 && red.say.any { it.contains("guardar silencio") }) { "say: ${red.say}" }
            assertTrue(red.showAgent.contains("remain silent")) { "showAgent is not the English text for the agent" }
            assertTrue(red.sources.isNotEmpty() && red.sources.all { it.url.startsWith("https://") && it.publisher.isNotBlank() }) {
                "sources: ${red.sources}"
            }
            assertTrue(red.lastReviewed.matches(Regex("\\d{4}-\\d{2}-\\d{2}"))) { "lastReviewed ${red.lastReviewed}" }
        }
        check("rights: an unknown card is SilbatoException.NotFound") {
            expectThrows<SilbatoException.NotFound>("card") { rights.card("no-such-card", "es") }
        }
        check("rights: disclaimer and hotlines") {
            assertTrue(rights.disclaimer("es").isNotBlank()) { "empty disclaimer" }
            rights.hotlines(null)
        }
    }
}

fun vaultJourney() {
    val store = AesKeyStore()
    val dir = freshDir("vault")
    val pass = utf8("la contraseña de la patrulla 47")
    Silbato.open(dir.path, fastConfig, store).use { s ->
        val vault = s.vault()
        var firstId = ""
        check("vault: opening wraps the inbox key with the Kotlin key store") {
            assertTrue(store.calls("wrap", INBOX_LABEL) == 1) { "inbox key wrapped ${store.calls("wrap", INBOX_LABEL)} times" }
            assertEq(VaultState.NOT_INITIALIZED, vault.state(), "state before init")
        }
        check("vault: init with a passphrase as bytes, then unlocked") {
            vault.init(pass.copyOf())
            assertEq(VaultState.UNLOCKED, vault.state(), "state after init")
            expectThrows<SilbatoException.AlreadyInitialized>("second init") { vault.init(pass.copyOf()) }
        }
        check("vault: log two sightings (one with a photo) and list them newest first") {
            val a = vault.log(sighting("first sighting", observedAtMs = System.currentTimeMillis() - 3_600_000), listOf())
            val b = vault.log(sighting("second sighting", plate = "ABC 1234"), listOf(tinyPng()))
            firstId = a.id
            val list = vault.list()
            assertEq(2, list.size, "records")
            assertEq(b.id, list[0].id, "newest first")
            assertEq(1u, list[0].photos, "photos on the second")
            assertEq("second sighting", list[0].sighting.notes, "notes")
            assertEq(Activity.RAID, list[0].sighting.activity, "activity")
            assertEq(Agency.ICE, list[0].sighting.agency, "agency")
            assertEq("ABC 1234", list[0].sighting.vehicles.single().plate, "plate")
            assertEq(41.8090, list[0].sighting.latitude, "latitude")
        }
        check("vault: an impossible officer count is SilbatoException.InvalidInput") {
            val e = expectThrows<SilbatoException.InvalidInput>("officer count") {
                vault.log(sighting("x").copy(officerCount = 10_001u), listOf())
            }
            assertTrue(e.reason.isNotBlank()) { "no reason" }
        }
        check("vault: amend keeps the record and counts the amendment") {
            val fixed = sighting("first sighting, corrected: 8 officers").copy(officerCount = 8u)
            vault.amend(firstId, fixed, "miscounted")
            val r = vault.record(firstId)
            assertEq(1u, r.amendments, "amendments")
            assertEq(8u, r.sighting.officerCount, "amended officer count")
            assertEq(2, vault.list().size, "still two records")
        }
        check("vault: locked vault refuses reads with SilbatoException.Locked") {
            vault.lock()
            assertEq(VaultState.LOCKED, vault.state(), "state")
            expectThrows<SilbatoException.Locked>("list while locked") { vault.list() }
        }
        check("vault: the wrong passphrase throws SilbatoException.WrongPassphrase") {
            var caught: SilbatoException.WrongPassphrase? = null
            try {
                vault.unlock(utf8("not the passphrase"))
            } catch (e: SilbatoException.WrongPassphrase) {
                caught = e
            }
            assertTrue(caught != null) { "no WrongPassphrase" }
            assertEq(VaultState.LOCKED, vault.state(), "state after a wrong passphrase")
        }
        check("vault: the right passphrase unlocks and the records are intact") {
            vault.unlock(pass.copyOf())
            assertEq(2, vault.list().size, "records")
        }
        check("vault: key-store unlock through the Kotlin key store") {
            vault.enableKeyStoreUnlock()
            assertEq(1, store.calls("wrap", VAULT_LABEL), "vault key wrapped")
            vault.lock()
            vault.unlockWithKeyStore()
            assertEq(VaultState.UNLOCKED, vault.state(), "state")
            assertEq(2, vault.list().size, "records")
        }
        check("vault: an unexpected exception in the key store is SilbatoException.KeyStore, not a crash") {
            vault.lock()
            store.failUnwrapWith = IllegalStateException("simulated keystore bug")
            try {
                expectThrows<SilbatoException.KeyStore>("unlock with a failing key store") { vault.unlockWithKeyStore() }
            } finally {
                store.failUnwrapWith = null
            }
            store.failUnwrapWith = KeyStoreFailure.Refused()
            try {
                expectThrows<SilbatoException.KeyStore>("unlock with a refusing key store") { vault.unlockWithKeyStore() }
            } finally {
                store.failUnwrapWith = null
            }
            assertEq(VaultState.LOCKED, vault.state(), "state")
            vault.unlock(pass.copyOf())
        }
        check("vault: wipe destroys the key-store key and the log; rights still work") {
            val ms = vault.wipe()
            assertTrue(ms < 60_000uL) { "wipe took $ms ms" }
            assertEq(1, store.calls("destroy", VAULT_LABEL), "vault key destroyed in the key store")
            assertTrue(VAULT_LABEL !in store.labels()) { "vault key still in the key store" }
            // The panic wipe is the whole identity (issue 12 item 10): the inbox key too; a new
            // one is made and wrapped for the empty inbox that takes its place.
            assertTrue(store.calls("destroy", INBOX_LABEL) >= 1) { "inbox key not destroyed in the key store" }
            assertEq(2, store.calls("wrap", INBOX_LABEL), "a new inbox key wrapped after the wipe")
            assertTrue(s.inbox().networks().isEmpty()) { "a network survived the wipe" }
            assertEq(VaultState.NOT_INITIALIZED, vault.state(), "state after wipe")
            assertTrue(dir.walkTopDown().none { it.name.startsWith("vault.db") }) { "vault.db left behind" }
            assertTrue(s.rights().search("policia", "es", 3u).isNotEmpty()) { "rights gone after wipe" }
        }
    }
    check("vault: reopening the data directory unwraps the inbox key with the Kotlin key store") {
        Silbato.open(dir.path, fastConfig, store).use { s ->
            assertTrue(store.calls("unwrap", INBOX_LABEL) >= 1) { "inbox key never unwrapped" }
            assertEq(2, store.calls("wrap", INBOX_LABEL), "inbox key wrapped again on reopen")
            assertEq(VaultState.NOT_INITIALIZED, s.vault().state(), "state after reopen")
            assertEq(32, s.inbox().pushPublicKey().size, "push key")
        }
    }
}

fun inboxJourney(fx: Fixtures) {
    val store = AesKeyStore()
    Silbato.open(freshDir("inbox").path, fastConfig, store).use { s ->
        val inbox = s.inbox()
        val (lat, lon) = fx.alertCentre
        var alertId = ""
        check("inbox: a wrong fingerprint is refused and installs nothing") {
            val e = expectThrows<SilbatoException.InvalidInput>("install with a wrong fingerprint") {
                inbox.installNetwork(fx.profile, "0".repeat(fx.fingerprint.length))
            }
            assertTrue(e.reason.contains("fingerprint")) { "reason: ${e.reason}" }
            assertEq(0, inbox.networks().size, "networks")
        }
        check("inbox: install the network profile with its fingerprint") {
            val n = inbox.installNetwork(fx.profile, fx.fingerprint)
            assertEq("chi", n.id, "network id")
            assertTrue(n.confirmed) { "not confirmed" }
            assertEq(fx.fingerprint, n.fingerprint, "fingerprint")
            assertEq(listOf("US-IL-CHI"), n.regions, "regions")
            assertEq(1, inbox.networks().size, "networks")
        }
        check("inbox: save a place near the alert") {
            val p = inbox.addPlace("Casa de Abuela", lat + 0.002, lon + 0.002, 300.0)
            assertEq("Casa de Abuela", p.label, "label")
            assertEq(listOf(p.id), inbox.places().map { it.id }, "places")
        }
        check("inbox: a sealed push for this device's key is ingested, with a generic notification") {
            val key = inbox.pushPublicKey()
            assertEq(32, key.size, "push key length")
            val r = inbox.ingestPush(fx.pushPayload(key), "es")
            assertTrue(!r.syncNeeded) { "sync_needed for a sealed alert" }
            val ing = r.ingest ?: throw AssertionError("no ingest result")
            alertId = (ing as? IngestResult.Accepted)?.id ?: throw AssertionError("not accepted: $ing")
            assertEq("Silbato", r.notificationTitle, "notification title")
            val body = r.notificationBody ?: ""
            assertTrue(body.contains("Chicago Rapid Response") && !body.contains("47")) {
                "notification body must be generic: $body"
            }
        }
        check("inbox: a wake-up push says sync, a garbage push is InvalidInput") {
            assertTrue(inbox.ingestPush(utf8("SBP1") + byteArrayOf(0), "es").syncNeeded) { "wake-up" }
            expectThrows<SilbatoException.InvalidInput>("garbage push") { inbox.ingestPush(utf8("hello"), "es") }
        }
        check("inbox: the same signed alert ingested directly is a duplicate") {
            assertEq(IngestResult.Duplicate(alertId), inbox.ingestAlert(fx.observed), "outcome")
        }
        check("inbox: the tampered alert is rejected") {
            val r = inbox.ingestAlert(fx.tampered)
            assertTrue(r is IngestResult.Rejected && r.reason.isNotBlank()) { "not rejected with a reason: $r" }
        }
        check("inbox: active() shows the alert for the saved place, in Spanish") {
            val active = inbox.active("es", 50u)
            assertEq(1, active.size, "active alerts")
            val a: AlertItem = active.single()
            assertEq(alertId, a.id, "id")
            assertEq(Relevance.SavedPlace("Casa de Abuela"), a.relevance, "relevance")
            assertTrue(a.headline.contains("Ashland") && a.headline.startsWith("Camionetas")) { "headline: ${a.headline}" }
            assertEq(Category.RAID, a.category, "category")
            assertEq(Certainty.OBSERVED, a.certainty, "certainty")
            assertEq(AlertStatus.ACTIVE, a.status, "status")
            // The list leaves signers out; the detail view verifies and names them.
            val detail = inbox.alert(a.id, "es")
            assertEq(listOf("Ana", "Luis"), detail.signedBy.sorted(), "signers (two-person rule)")
            assertEq("No abra la puerta", detail.instruction, "instruction")
            assertTrue(a.expiresMs > System.currentTimeMillis()) { "already expired" }
            assertTrue(!a.read) { "read before reading" }
            assertEq(1uL, inbox.unreadCount(), "unread")
            inbox.markRead(a.id)
            assertEq(0uL, inbox.unreadCount(), "unread after markRead")
        }
        check("inbox: without the saved place the alert is relevant by region or elsewhere") {
            inbox.removePlace(inbox.places().single().id)
            assertEq(Relevance.Elsewhere, inbox.active("es", 50u).single().relevance, "relevance with nothing saved")
            inbox.followRegion("US-IL-CHI")
            val a = inbox.active("en", 50u).single()
            assertEq(Relevance.FollowedRegion("US-IL-CHI"), a.relevance, "relevance")
            assertTrue(a.headline.startsWith("ICE vans")) { "English headline: ${a.headline}" }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Concurrency: 8 threads share one Rights, one SightingVault and one AlertInbox.
// ---------------------------------------------------------------------------------------------

fun concurrency(fx: Fixtures) {
    val store = AesKeyStore()
    Silbato.open(freshDir("threads").path, fastConfig, store).use { s ->
        val rights = s.rights()
        val vault = s.vault()
        val inbox = s.inbox()
        vault.init(utf8("ocho hilos a la vez"))
        repeat(3) { vault.log(sighting("sighting $it"), listOf()) }
        inbox.installNetwork(fx.profile, fx.fingerprint)
        val (lat, lon) = fx.alertCentre
        inbox.addPlace("Escuela", lat, lon, 200.0)
        check("threads: setup ingests the signed alert directly") {
            assertTrue(inbox.ingestAlert(fx.observed) is IngestResult.Accepted) { "not accepted" }
        }
        check("threads: 8 threads x 40 iterations of search, vault list, inbox active (no exception, no deadlock)") {
            val threads = 8
            val iterations = 40
            val errors = ConcurrentLinkedQueue<Throwable>()
            val start = CountDownLatch(1)
            val done = AtomicInteger()
            val workers = (0 until threads).map { t ->
                Thread({
                    try {
                        start.await()
                        repeat(iterations) { i ->
                            val q = listOf("policia", "abogado", "orden judicial", "silencio")[(t + i) % 4]
                            if (rights.search(q, "es", 10u).isEmpty()) throw AssertionError("no hits for $q")
                            if (vault.list().size < 3) throw AssertionError("vault list shrank")
                            val a = inbox.active("es", 10u)
                            if (a.size != 1 || a[0].relevance !is Relevance.SavedPlace) throw AssertionError("active: $a")
                            if (i % 10 == t % 10) {
                                // Writers in the mix: a log, a place, a read mark.
                                vault.log(sighting("thread $t iteration $i"), listOf())
                                inbox.markRead(a[0].id)
                                vault.state()
                            }
                        }
                        done.incrementAndGet()
                    } catch (e: Throwable) {
                        errors += e
                    }
                }, "silbato-worker-$t").apply { isDaemon = true }
            }
            workers.forEach { it.start() }
            start.countDown()
            val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120)
            for (w in workers) w.join(maxOf(1L, (deadline - System.nanoTime()) / 1_000_000))
            val stuck = workers.filter { it.isAlive }
            if (stuck.isNotEmpty()) {
                val traces = stuck.joinToString("\n") { w -> w.name + "\n  " + w.stackTrace.joinToString("\n  ") }
                throw AssertionError("${stuck.size} thread(s) still running after 120 s (deadlock?):\n$traces")
            }
            errors.peek()?.let { throw AssertionError("${errors.size} thread(s) failed; first: ${it::class.qualifiedName}: ${it.message}", it) }
            assertEq(threads, done.get(), "threads finished")
            assertEq(3 + threads * (iterations / 10), vault.list().size, "records after concurrent logs")
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Per-call overhead (printed, never a failure).
// ---------------------------------------------------------------------------------------------

fun overhead() {
    val store = AesKeyStore()
    Silbato.open(freshDir("overhead").path, fastConfig, store).use { s ->
        val vault = s.vault()
        val rights = s.rights()
        fun measure(label: String, n: Int, body: () -> Unit) {
            repeat(n / 10 + 1) { body() }
            val t0 = System.nanoTime()
            repeat(n) { body() }
            val us = (System.nanoTime() - t0) / 1000.0 / n
            println("PERF  %-52s %9.2f µs/call (n=%d)".format(label, us, n))
        }
        check("overhead: measured (informational)") {
            measure("s.contentWasRebuilt() (bool, no buffers: FFI floor)", 50_000) { s.contentWasRebuilt() }
            measure("vault.state() on a held object", 50_000) { vault.state() }
            measure("s.vault().state() (new object + call + close)", 20_000) { s.vault().use { it.state() } }
            measure("rights.search(\"policia\", \"es\", 10)", 2_000) { rights.search("policia", "es", 10u) }
        }
    }
}

fun main(args: Array<String>) {
    val t0 = System.nanoTime()
    val fx = try {
        Fixtures.load(args)
    } catch (e: Exception) {
        System.err.println("KOTLIN: cannot start: ${e.message}")
        println("KOTLIN: 0 passed, 1 failed")
        exitProcess(2)
    }
    try {
        rightsJourney()
        vaultJourney()
        inboxJourney(fx)
        concurrency(fx)
        overhead()
    } catch (e: Throwable) {
        // A failure outside a check (opening the core, say) still counts and still ends the run.
        failed++
        println("FAIL  outside a check: ${e::class.qualifiedName}: ${e.message}")
        e.printStackTrace(System.out)
    } finally {
        for (d in tempDirs) d.deleteRecursively()
    }
    println("time: ${(System.nanoTime() - t0) / 1_000_000} ms")
    println("KOTLIN: $passed passed, $failed failed")
    exitProcess(if (failed == 0) 0 else 1)
}
