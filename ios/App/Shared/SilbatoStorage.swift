import Foundation
import SilbatoCore

/// Where the core keeps its three databases, and how both processes (the app and the
/// notification service extension) open it. The directory is inside the App Group container so
/// the extension can ingest a push into the same inbox the app shows; it is
/// `Library/Application Support/silbato` there, excluded from backups and under complete file
/// protection (unreadable while the phone is locked).
enum SilbatoStorage {
    enum Failure: Error {
        /// The bundle's Info.plist has no `SilbatoAppGroup` (a build configuration mistake).
        case missingAppGroup
        /// The system gave no container for the App Group (missing entitlement).
        case noContainer
    }

    /// Lock the vault after five minutes without use.
    static let vaultIdleTimeoutSecs: UInt64 = 300

    /// The App Group identifier, from the `SILBATO_APP_GROUP` build setting via Info.plist. It is
    /// also the Keychain access group both processes share.
    static func appGroup() throws -> String {
        guard let group = Bundle.main.object(forInfoDictionaryKey: "SilbatoAppGroup") as? String,
              !group.isEmpty
        else {
            throw Failure.missingAppGroup
        }
        return group
    }

    static func dataDirectory() throws -> URL {
        let files = FileManager.default
        let group = try appGroup()
        guard let container = files.containerURL(forSecurityApplicationGroupIdentifier: group) else {
            throw Failure.noContainer
        }
        var dir = container
            .appendingPathComponent("Library", isDirectory: true)
            .appendingPathComponent("Application Support", isDirectory: true)
            .appendingPathComponent("silbato", isDirectory: true)
        try files.createDirectory(
            at: dir,
            withIntermediateDirectories: true,
            attributes: [.protectionKey: FileProtectionType.complete]
        )
        // New files inherit the directory's class; set it again in case the directory predates it.
        try files.setAttributes([.protectionKey: FileProtectionType.complete], ofItemAtPath: dir.path)
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        try dir.setResourceValues(values)
        return dir
    }

    /// Opens the core. Blocking: call it off the main thread.
    static func open() throws -> Silbato {
        let group = try appGroup()
        let dir = try dataDirectory()
        let config = SilbatoConfig(
            vaultIdleTimeoutSecs: vaultIdleTimeoutSecs,
            insecureFastKdfForTests: false
        )
        return try Silbato.open(
            dataDir: dir.path,
            config: config,
            keyStore: KeychainKeyStore(accessGroup: group)
        )
    }
}
