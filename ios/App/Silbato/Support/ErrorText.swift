import Foundation
import SilbatoCore

/// What to tell the user about a failed call. The core's errors never carry user content.
enum ErrorText {
    /// Nil for failures that need no message: a cancelled load, or a call made while the app
    /// was going to the background.
    static func message(_ error: Error) -> String? {
        switch error {
        case is CancellationError, is CoreUnavailable:
            return nil
        case let error as SilbatoError:
            return describe(error)
        case let error as SilbatoStorage.Failure:
            switch error {
            case .missingAppGroup, .noContainer:
                return String(localized: "This build has no shared app container. Check its App Group entitlement.")
            }
        case let error as FormError:
            return error.text
        case let error as OneShotLocation.Failure:
            switch error {
            case .denied:
                return String(localized: "Location is off for Silbato. Allow it in Settings, or type the coordinates.")
            case .busy, .unavailable:
                return String(localized: "The phone could not find its position. Try again, or type the coordinates.")
            }
        case let error as CocoaError where error.code == .fileReadNoPermission:
            return String(localized: "Silbato may not read that file.")
        default:
            return String(localized: "Something went wrong. Try again.")
        }
    }

    private static func describe(_ error: SilbatoError) -> String {
        switch error {
        case .WrongPassphrase:
            return String(localized: "Wrong passphrase.")
        case .Locked:
            return String(localized: "The log is locked. Unlock it and try again.")
        case .NotInitialized:
            return String(localized: "The log is not set up yet.")
        case .AlreadyInitialized:
            return String(localized: "The log is already set up.")
        case .BadSignature:
            return String(localized: "A signature did not check out. Nothing was installed.")
        case .UntrustedKey:
            return String(localized: "This is not signed by a key Silbato trusts. Nothing was installed.")
        case .Rollback:
            return String(localized: "This is not newer than what is already installed.")
        case let .InvalidInput(reason: reason):
            return String(localized: "Not accepted: \(reason)")
        case .NotFound:
            return String(localized: "Not found.")
        case .Corrupt:
            return String(localized: "Stored data is damaged.")
        case .Storage:
            return String(localized: "The phone's storage could not be used.")
        case let .Network(reason: _, retryable: retryable):
            return retryable
                ? String(localized: "Could not reach the network's server. Try again later.")
                : String(localized: "The network's server refused the request.")
        case .KeyStore:
            return String(localized: "The phone's key store is not available. Unlock the phone and try again.")
        }
    }
}

/// A form field the shell could not turn into a value (the core checks the rest).
struct FormError: Error {
    let text: String
}
