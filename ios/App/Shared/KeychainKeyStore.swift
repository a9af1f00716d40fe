import CryptoKit
import Foundation
import Security
import SilbatoCore

/// The core's platform key store on iOS. For each label the Keychain holds one random 256-bit
/// AES key, readable only while the phone is unlocked and never leaving this device
/// (`kSecAttrAccessibleWhenUnlockedThisDeviceOnly`: not in backups, not in iCloud Keychain).
/// `wrap` seals a secret with AES-GCM under that key (the label is the associated data), `unwrap`
/// opens it, `destroy` deletes the key so every blob wrapped under the label is unusable.
///
/// Every failure is a `KeyStoreFailure`: the key is missing (`NotFound`), the Keychain cannot be
/// read now, e.g. the phone is locked (`Unavailable`), or anything else (`Refused`).
final class KeychainKeyStore: KeyStore {
    private static let service = "org.silbato.keystore"
    private let accessGroup: String

    /// `accessGroup`: the App Group, shared by the app and its notification service extension.
    init(accessGroup: String) {
        self.accessGroup = accessGroup
    }

    func wrap(label: String, secret: Data) throws -> Data {
        let key = try existingKey(label) ?? createKey(label)
        let box: AES.GCM.SealedBox
        do {
            box = try AES.GCM.seal(secret, using: key, authenticating: Data(label.utf8))
        } catch {
            throw KeyStoreFailure.Refused
        }
        // Always present with CryptoKit's default 12-byte nonce.
        guard let combined = box.combined else {
            throw KeyStoreFailure.Refused
        }
        return combined
    }

    func unwrap(label: String, blob: Data) throws -> Data {
        guard let key = try existingKey(label) else {
            throw KeyStoreFailure.NotFound
        }
        do {
            let box = try AES.GCM.SealedBox(combined: blob)
            return try AES.GCM.open(box, using: key, authenticating: Data(label.utf8))
        } catch {
            throw KeyStoreFailure.Refused
        }
    }

    func destroy(label: String) throws {
        let status = SecItemDelete(query(label) as CFDictionary)
        switch status {
        case errSecSuccess, errSecItemNotFound:
            return
        default:
            throw Self.failure(status)
        }
    }

    // MARK: - Keychain

    private func query(_ label: String) -> [String: Any] {
        [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: Self.service,
            kSecAttrAccount as String: label,
            kSecAttrAccessGroup as String: accessGroup,
            kSecAttrSynchronizable as String: false,
        ]
    }

    private func existingKey(_ label: String) throws -> SymmetricKey? {
        var request = query(label)
        request[kSecReturnData as String] = true
        request[kSecMatchLimit as String] = kSecMatchLimitOne
        var result: CFTypeRef?
        let status = SecItemCopyMatching(request as CFDictionary, &result)
        switch status {
        case errSecSuccess:
            guard let bytes = result as? Data, bytes.count == 32 else {
                throw KeyStoreFailure.Refused
            }
            return SymmetricKey(data: bytes)
        case errSecItemNotFound:
            return nil
        default:
            throw Self.failure(status)
        }
    }

    private func createKey(_ label: String) throws -> SymmetricKey {
        let key = SymmetricKey(size: .bits256)
        var item = query(label)
        item[kSecValueData as String] = key.withUnsafeBytes { Data($0) }
        item[kSecAttrAccessible as String] = kSecAttrAccessibleWhenUnlockedThisDeviceOnly
        let status = SecItemAdd(item as CFDictionary, nil)
        switch status {
        case errSecSuccess:
            return key
        case errSecDuplicateItem:
            // The other process created it first: use that one.
            guard let existing = try existingKey(label) else {
                throw KeyStoreFailure.Refused
            }
            return existing
        default:
            throw Self.failure(status)
        }
    }

    private static func failure(_ status: OSStatus) -> KeyStoreFailure {
        switch status {
        case errSecInteractionNotAllowed, errSecNotAvailable, errSecMissingEntitlement:
            return .Unavailable
        default:
            return .Refused
        }
    }
}
