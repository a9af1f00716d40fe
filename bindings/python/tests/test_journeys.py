"""The three journeys (know-your-rights, the patroller's vault, the family's inbox) through the
generated Python bindings, each on its own data directory, plus threads and per-call overhead.

Run with scripts/foreign-tests-python. Time is measured and printed, never asserted.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import silbato_ffi as sf

DOOR_CARD = "someone-at-your-door"
NETWORK = "Chicago Rapid Response"
PASS = "caballo correcto batería grapa".encode()


def sighting(**changes) -> sf.SightingInput:
    s = dict(
        observed_at_ms=int(time.time() * 1000) - 20 * 60 * 1000,
        latitude=41.8087,
        longitude=-87.6656,
        accuracy_m=15.0,
        place="47th St Home Depot",
        activity=sf.Activity.RAID,
        agency=sf.Agency.ICE,
        officer_count=6,
        vehicles=[sf.VehicleInfo(description="grey SUV", plate="ABC 1234", plate_state="IL")],
        uniforms="vests marked POLICE",
        badges=[],
        people_detained=2,
        notes=None,
        confidence=sf.Confidence.OBSERVED,
    )
    s.update(changes)
    return sf.SightingInput(**s)


# ---------------------------------------------------------------------------- know your rights


def test_rights_search_in_spanish_with_accents_optional(core):
    rights = core.rights()
    plain = rights.search("policia", "es", 10)
    accented = rights.search("policía", "es", 10)
    assert plain, "'policia' finds Spanish cards"
    assert all(h.lang == "es" for h in plain)
    assert {h.card_id for h in plain} == {h.card_id for h in accented}
    assert DOOR_CARD in {h.card_id for h in plain}
    assert any(span.highlight for h in plain for span in h.snippet)
    assert all(isinstance(h.title, str) and h.title for h in plain)


def test_rights_card_in_spanish_has_blocks_words_to_say_and_sources(core):
    card = core.rights().card(DOOR_CARD, "es")
    assert card.id == DOOR_CARD
    assert card.lang == "es" and not card.fallback
    assert card.title == "Alguien toca a su puerta"
    assert card.blocks and all(isinstance(b.kind, sf.BlockKind) for b in card.blocks)
    assert any(b.kind == sf.BlockKind.HEADING for b in card.blocks)
    assert any(b.kind == sf.BlockKind.NUMBERED and len(b.items) > 1 for b in card.blocks)
    assert any(b.strong for b in card.blocks), "bold runs are listed for styling"
    assert "No doy permiso para que entren. (I do not consent to your entry.)" in card.say
    assert "remain silent" in card.show_agent
    assert card.sources and all(s.url.startswith("https://") for s in card.sources)
    assert card.last_reviewed
    summaries = core.rights().list_cards("es", None)
    assert DOOR_CARD in {c.id for c in summaries}


def test_rights_unknown_card_is_not_found(core):
    with pytest.raises(sf.SilbatoError.NotFound):
        core.rights().card("no-such-card", "es")


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"policia',
        "NEAR(",
        "policia NEAR(puerta",
        "AND OR NOT",
        "*",
        "^",
        "'; DROP TABLE cards; --",
        "🚨🏠👮",
        "",
        "   ",
        "\0",
        "x" * 10_000,
        "policía " * 1_500,
    ],
)
def test_rights_search_never_fails_on_odd_input(core, query):
    for lang in ("es", None):
        assert isinstance(core.rights().search(query, lang, 20), list)


# ---------------------------------------------------------------------------------- the vault


def test_vault_journey_log_amend_lock_wrong_passphrase_and_wipe(core):
    vault = core.vault()
    assert vault.state() == sf.VaultState.NOT_INITIALIZED
    with pytest.raises(sf.SilbatoError.NotInitialized):
        vault.list()
    vault.init(PASS)
    assert vault.state() == sf.VaultState.UNLOCKED
    with pytest.raises(sf.SilbatoError.AlreadyInitialized):
        vault.init(PASS)

    first = vault.log(sighting(), [])
    second = vault.log(sighting(activity=sf.Activity.CHECKPOINT, agency=sf.Agency.CBP, officer_count=None), [])
    assert first.id and second.id and first.id != second.id
    items = vault.list()
    assert {r.id for r in items} == {first.id, second.id}
    rec = vault.record(first.id)
    assert rec.sighting.officer_count == 6
    assert rec.sighting.place == "47th St Home Depot"
    assert rec.sighting.vehicles[0].plate == "ABC 1234"
    assert rec.amendments == 0

    vault.amend(first.id, sighting(officer_count=8), "recounted")
    rec = vault.record(first.id)
    assert rec.sighting.officer_count == 8
    assert rec.amendments == 1

    with pytest.raises(ValueError):
        vault.log(sighting(activity="parade"), [])  # enums are typed, not strings
    # Each refusal carries the stable code a shell translates (docs/errors.md).
    with pytest.raises(sf.SilbatoError.InvalidInput) as refused:
        vault.log(sighting(officer_count=10_001), [])
    assert refused.value.code == "sighting.count_too_large"
    with pytest.raises(sf.SilbatoError.InvalidInput) as refused:
        vault.log(sighting(longitude=None), [])
    assert refused.value.code == "ffi.half_a_location"

    # A wrong passphrase is refused and changes nothing.
    with pytest.raises(sf.SilbatoError.WrongPassphrase) as refused:
        vault.change_passphrase(b"not the passphrase", b"a new long passphrase")
    assert refused.value.code == "vault.wrong_passphrase"
    assert len(vault.list()) == 2

    vault.lock()
    assert vault.state() == sf.VaultState.LOCKED
    with pytest.raises(sf.SilbatoError.Locked):
        vault.list()
    with pytest.raises(sf.SilbatoError.Locked):
        vault.log(sighting(), [])
    with pytest.raises(sf.SilbatoError.WrongPassphrase):
        vault.unlock(b"caballo incorrecto")
    assert vault.state() == sf.VaultState.LOCKED
    vault.unlock(PASS)
    assert vault.state() == sf.VaultState.UNLOCKED
    assert vault.record(first.id).sighting.officer_count == 8

    elapsed_ms = vault.wipe()
    assert elapsed_ms >= 0
    assert vault.state() != sf.VaultState.UNLOCKED
    with pytest.raises(sf.SilbatoError):
        vault.list()
    # The cards keep working after a panic wipe.
    assert core.rights().search("policia", "es", 5)
    assert core.rights().card(DOOR_CARD, "es").say


def test_vault_passphrase_must_be_utf8(core):
    with pytest.raises(sf.SilbatoError.InvalidInput):
        core.vault().init(b"\xff\xfe")
    assert core.vault().state() == sf.VaultState.NOT_INITIALIZED


def test_key_store_is_called_and_its_exceptions_do_not_crash(tmp_path, make_core, key_store_cls):
    ks = key_store_cls()
    c = make_core(tmp_path / "ok", ks)
    assert any(op == "wrap" for op, _ in ks.calls), "the inbox key is wrapped by the key store"
    del c
    # Reopening unwraps with the same store.
    ks2 = key_store_cls()
    make_core(tmp_path / "ok", ks2)
    assert any(op == "unwrap" for op, _ in ks2.calls)

    class Broken(sf.KeyStore):
        def wrap(self, label, secret):
            raise RuntimeError("the hardware key store is gone")

        def unwrap(self, label, blob):
            raise RuntimeError("the hardware key store is gone")

        def destroy(self, label):
            raise RuntimeError("the hardware key store is gone")

    with pytest.raises(sf.SilbatoError):
        make_core(tmp_path / "broken", Broken())


# ---------------------------------------------------------------------------------- the inbox


def test_inbox_install_ingest_duplicate_saved_place_and_tampering(core, fixtures):
    inbox = core.inbox()
    net = inbox.install_network(fixtures.profile, fixtures.fingerprint)
    assert net.id == "chi" and net.name == NETWORK
    assert net.confirmed and net.fingerprint == fixtures.fingerprint
    assert [n.id for n in inbox.networks()] == ["chi"]

    first = inbox.ingest_alert(fixtures.alert_observed)
    assert first == sf.IngestResult.ACCEPTED(id="observed-1")
    again = inbox.ingest_alert(fixtures.alert_observed)
    assert again == sf.IngestResult.DUPLICATE(id="observed-1")

    place = inbox.add_place("Casa", 41.8100, -87.6650, 300.0)
    assert place.label == "Casa" and [p.id for p in inbox.places()] == [place.id]
    active = inbox.active("en", 10)
    assert [a.id for a in active] == ["observed-1"]
    a = active[0]
    assert a.relevance == sf.Relevance.SAVED_PLACE(label="Casa")
    assert a.network_name == NETWORK
    assert a.headline == "ICE vans at 47th and Ashland"
    assert (a.category, a.severity, a.certainty) == (
        sf.Category.RAID,
        sf.Severity.SEVERE,
        sf.Certainty.OBSERVED,
    )
    assert a.status == sf.AlertStatus.ACTIVE
    assert not a.read
    detail = inbox.alert("observed-1", "en")
    assert sorted(detail.signed_by) == ["Ana", "Luis"], "the detail names both dispatchers"
    assert detail.instruction == "Do not open the door"
    assert inbox.active("es", 10)[0].headline == "Camionetas de ICE en la 47 y Ashland"
    assert inbox.unread_count() == 1
    inbox.mark_read("observed-1")
    assert inbox.unread_count() == 0

    tampered = inbox.ingest_alert(fixtures.alert_tampered)
    assert isinstance(tampered, sf.IngestResult.REJECTED) and tampered.reason
    assert [a.id for a in inbox.active("en", 10)] == ["observed-1"]


def test_alerts_are_identified_by_network_and_a_network_can_be_removed(core, fixtures):
    """Issue 12 items 2 and 4 through the FFI: (network, id) lookups, and `remove_network`."""
    inbox = core.inbox()
    inbox.install_network(fixtures.profile, fixtures.fingerprint)
    assert inbox.ingest_alert(fixtures.alert_observed) == sf.IngestResult.ACCEPTED(id="observed-1")
    item = inbox.network_alert("chi", "observed-1", "en")
    assert item.network_id == "chi" and item.id == "observed-1"
    with pytest.raises(sf.SilbatoError.NotFound):
        inbox.network_alert("elsewhere", "observed-1", "en")
    inbox.mark_network_alert_read("chi", "observed-1")
    assert inbox.unread_count() == 0

    inbox.remove_network("chi")
    assert inbox.networks() == []
    assert inbox.active("en", 10) == []
    with pytest.raises(sf.SilbatoError.NotFound):
        inbox.network_alert("chi", "observed-1", "en")
    # Nothing subscribed: there is nothing to delete at any hub, and no request is made.
    with pytest.raises(sf.SilbatoError):
        inbox.unsubscribe_push(None)


def test_inbox_refuses_alerts_before_a_network_is_installed(core, fixtures):
    r = core.inbox().ingest_alert(fixtures.alert_observed)
    assert isinstance(r, sf.IngestResult.REJECTED)
    assert core.inbox().active("en", 10) == []


def test_sealed_push_shows_a_generic_notification(core, fixtures):
    inbox = core.inbox()
    inbox.install_network(fixtures.profile, fixtures.fingerprint)
    key = inbox.push_public_key()
    assert len(key) == 32
    payload = fixtures.sealed_push(key)
    assert b"Ashland" not in payload, "the push provider sees nothing"

    r = inbox.ingest_push(payload, "en")
    assert not r.sync_needed
    assert r.ingest == sf.IngestResult.ACCEPTED(id="observed-1")
    assert r.notification_body == f"New alert from {NETWORK}"
    assert "ICE" not in (r.notification_title or "") + r.notification_body

    again = inbox.ingest_push(payload, "en")
    assert again.ingest == sf.IngestResult.DUPLICATE(id="observed-1")
    assert again.notification_body is None

    assert inbox.ingest_push(b"SBP1\x00", "en").sync_needed
    with pytest.raises(sf.SilbatoError):
        inbox.ingest_push(b"hello", "en")


# ------------------------------------------------------------------------------- concurrency


def test_objects_are_usable_from_eight_threads_at_once(core, fixtures):
    vault, inbox, rights = core.vault(), core.inbox(), core.rights()
    vault.init(PASS)
    for n in range(5):
        vault.log(sighting(officer_count=n + 1), [])
    inbox.install_network(fixtures.profile, fixtures.fingerprint)
    inbox.ingest_alert(fixtures.alert_observed)
    inbox.add_place("Casa", 41.8100, -87.6650, 300.0)

    threads, rounds = 8, 40
    start = threading.Barrier(threads)
    errors: list[BaseException] = []
    done = [0] * threads

    def work(i: int) -> None:
        try:
            start.wait(timeout=30)
            # Each thread also takes its own handles, as a shell's view models would.
            v, ib, rt = (core.vault(), core.inbox(), core.rights()) if i % 2 else (vault, inbox, rights)
            for k in range(rounds):
                assert rt.search(["policia", "puerta", "orden"][k % 3], "es", 10)
                assert len(v.list()) == 5
                assert [a.id for a in ib.active("en", 10)] == ["observed-1"]
                assert v.state() == sf.VaultState.UNLOCKED
                if k % 10 == 0:
                    ib.unread_count()
                    rt.card(DOOR_CARD, "es")
                done[i] += 1
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    workers = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(threads)]
    for w in workers:
        w.start()
    deadline = time.monotonic() + 120
    for w in workers:
        w.join(timeout=max(0.0, deadline - time.monotonic()))
    stuck = [w.name for w in workers if w.is_alive()]
    assert not stuck, f"threads did not finish in time (deadlock?): {stuck}"
    assert not errors, errors
    assert done == [rounds] * threads


# --------------------------------------------------------------------------- per-call overhead


def _per_call_us(f, n: int) -> float:
    f()  # warm up
    t = time.perf_counter_ns()
    for _ in range(n):
        f()
    return (time.perf_counter_ns() - t) / n / 1000


def test_per_call_overhead_is_measured_and_printed(core, fixtures, capsys):
    """Numbers for the issue notes; never asserted (targets do not belong in tests)."""
    vault, rights, inbox = core.vault(), core.rights(), core.inbox()
    vault.init(PASS)
    inbox.install_network(fixtures.profile, fixtures.fingerprint)
    inbox.ingest_alert(fixtures.alert_observed)

    def noop() -> None:
        pass

    rows = [
        ("python no-op call (baseline)", _per_call_us(noop, 20_000)),
        ("vault.state()", _per_call_us(vault.state, 20_000)),
        ("inbox.unread_count()", _per_call_us(inbox.unread_count, 2_000)),
        ('rights.search("policia", "es", 10)', _per_call_us(lambda: rights.search("policia", "es", 10), 500)),
        ('rights.card(door, "es")', _per_call_us(lambda: rights.card(DOOR_CARD, "es"), 500)),
        ('inbox.active("en", 10)', _per_call_us(lambda: inbox.active("en", 10), 500)),
    ]
    with capsys.disabled():
        print("\nper-call time through the Python bindings (µs/call):")
        for name, us in rows:
            print(f"  {name:<38} {us:10.2f}")
    assert all(us > 0 for _, us in rows)
