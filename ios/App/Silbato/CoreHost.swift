import SilbatoCore
import SwiftUI
import UIKit

/// Thrown to callers while the app is in the background, when the core is closed.
struct CoreUnavailable: Error {}

/// Holds the one open core and runs every call to it on a background task; results come back
/// on the main actor.
///
/// The core is opened off the main thread on first use and closed (its last reference dropped)
/// when the app goes to the background: its SQLite files live in the App Group container, and
/// iOS terminates a suspended app that still holds a lock on a file there; closing also locks
/// the vault. It is opened again on return, and `generation` tells the screens to reload.
@MainActor
final class CoreHost: ObservableObject {
    enum State: Equatable {
        case opening
        case ready
        case failed(String)
    }

    @Published private(set) var state: State = .opening
    /// Bumped each time the core is reopened: screens reload what they show.
    @Published private(set) var generation = 0
    /// Bumped after a reopen or a sync: the inbox reloads.
    @Published private(set) var inboxRevision = 0
    @Published private(set) var contentWasRebuilt = false
    @Published private(set) var unread = 0

    private var core: Silbato?
    private var opening: Task<(Silbato, Bool), Error>?
    private var inFlight = 0
    private var suspended = false
    private var backgroundTask: UIBackgroundTaskIdentifier = .invalid

    /// Opens the core (or retries after a failure), then syncs once.
    func start() async {
        state = .opening
        do {
            try await run { _ in }
        } catch {
            return
        }
        await syncQuietly()
    }

    /// Runs `body` with the core on a background task.
    func run<T: Sendable>(_ body: @escaping @Sendable (Silbato) throws -> T) async throws -> T {
        inFlight += 1
        defer {
            inFlight -= 1
            endBackgroundTaskIfIdle()
        }
        let core = try await ready()
        return try await Task.detached(priority: .userInitiated) {
            try body(core)
        }.value
    }

    /// Syncs with every confirmed network's hub.
    func sync() async throws -> SyncSummary {
        let summary = try await run { try $0.sync(hubUrl: nil) }
        inboxRevision += 1
        await refreshUnread()
        return summary
    }

    func refreshUnread() async {
        do {
            let count = try await run { try $0.inbox().unreadCount() }
            unread = Int(clamping: count)
        } catch {
            // The badge keeps its last count; the screens report failures themselves.
        }
    }

    func scenePhaseChanged(_ phase: ScenePhase) {
        switch phase {
        case .background:
            enterBackground()
        case .active:
            if suspended {
                enterForeground()
            }
        default:
            break
        }
    }

    // MARK: - Opening and closing

    private func ready() async throws -> Silbato {
        if suspended {
            throw CoreUnavailable()
        }
        if let core {
            return core
        }
        if let opening {
            return try await opening.value.0
        }
        let headlines = UserDefaults.standard.bool(forKey: SettingsKeys.headlines)
        let task = Task.detached(priority: .userInitiated) { () throws -> (Silbato, Bool) in
            let opened = try SilbatoStorage.open()
            // The core's notification setting follows the toggle this phone shows, which is
            // off unless the user turned it on (it is only saved after the core accepted it).
            try? opened.inbox().setHeadlineInNotifications(on: headlines)
            return (opened, opened.contentWasRebuilt())
        }
        opening = task
        defer { opening = nil }
        do {
            let (opened, rebuilt) = try await task.value
            if suspended {
                throw CoreUnavailable()
            }
            core = opened
            contentWasRebuilt = rebuilt
            state = .ready
            return opened
        } catch let error as CoreUnavailable {
            throw error
        } catch {
            state = .failed(ErrorText.message(error) ?? String(localized: "Unknown error."))
            throw error
        }
    }

    private func enterBackground() {
        guard !suspended else { return }
        suspended = true
        core = nil
        if backgroundTask == .invalid {
            backgroundTask = UIApplication.shared.beginBackgroundTask(withName: "silbato.close") { [weak self] in
                // Called on the main thread.
                MainActor.assumeIsolated {
                    self?.endBackgroundTask()
                }
            }
        }
        endBackgroundTaskIfIdle()
    }

    private func enterForeground() {
        suspended = false
        endBackgroundTask()
        generation += 1
        inboxRevision += 1
        Task {
            await syncQuietly()
        }
    }

    /// Calls still running hold the core; once the last returns it is closed and the app may
    /// be suspended.
    private func endBackgroundTaskIfIdle() {
        if suspended && inFlight == 0 {
            endBackgroundTask()
        }
    }

    private func endBackgroundTask() {
        guard backgroundTask != .invalid else { return }
        UIApplication.shared.endBackgroundTask(backgroundTask)
        backgroundTask = .invalid
    }

    private func syncQuietly() async {
        do {
            _ = try await sync()
        } catch {
            await refreshUnread()
        }
    }
}

enum SettingsKeys {
    static let headlines = "silbato.headlinesInNotifications"
}
