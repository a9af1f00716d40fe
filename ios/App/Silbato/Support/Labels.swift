import Foundation
import SilbatoCore

/// Display names for the core's enumerations. Every switch names each case and has no
/// `default`, so a case the core adds is a compile error here instead of a missing label.
enum Labels {
    // The choices the log-a-sighting form offers, every case in the core's order (the generated
    // enums are not CaseIterable). A case added to the core breaks the switch below it: add it
    // to the list there too.
    static let activities: [Activity] = [.arrest, .raid, .checkpoint, .patrol, .staging, .surveillance, .other]
    static let agencies: [Agency] = [.ice, .cbp, .hsi, .localPolice, .unknown, .other]
    static let confidences: [Confidence] = [.observed, .likely, .unconfirmed]

    static func activity(_ value: Activity) -> String {
        switch value {
        case .arrest: return String(localized: "Arrest")
        case .raid: return String(localized: "Raid")
        case .checkpoint: return String(localized: "Checkpoint")
        case .patrol: return String(localized: "Patrol")
        case .staging: return String(localized: "Staging")
        case .surveillance: return String(localized: "Surveillance")
        case .other: return String(localized: "Other")
        }
    }

    static func agency(_ value: Agency) -> String {
        switch value {
        case .ice: return String(localized: "ICE")
        case .cbp: return String(localized: "CBP / Border Patrol")
        case .hsi: return String(localized: "HSI")
        case .localPolice: return String(localized: "Local police")
        case .unknown: return String(localized: "Unknown")
        case .other: return String(localized: "Other")
        }
    }

    /// How sure the patroller is.
    static func confidence(_ value: Confidence) -> String {
        switch value {
        case .observed: return String(localized: "Seen first-hand")
        case .likely: return String(localized: "Likely")
        case .unconfirmed: return String(localized: "Unconfirmed")
        }
    }

    static func plateMatch(_ value: MatchKind) -> String {
        switch value {
        case .exact: return String(localized: "exact match")
        case .confusable: return String(localized: "matches with look-alike characters")
        case .partial: return String(localized: "partial match")
        }
    }

    // Qualified: the Objective-C runtime, which Foundation brings in, also names a `Category`.
    static func category(_ value: SilbatoCore.Category) -> String {
        switch value {
        case .raid: return String(localized: "Raid")
        case .checkpoint: return String(localized: "Checkpoint")
        case .patrol: return String(localized: "Patrol")
        case .detention: return String(localized: "Detention")
        case .allClear: return String(localized: "All clear")
        case .communityEvent: return String(localized: "Community event")
        case .information: return String(localized: "Information")
        }
    }

    static func severity(_ value: Severity) -> String {
        switch value {
        case .extreme: return String(localized: "Extreme")
        case .severe: return String(localized: "Severe")
        case .moderate: return String(localized: "Moderate")
        case .minor: return String(localized: "Minor")
        case .unknown: return String(localized: "Unknown")
        }
    }

    /// How sure the network is of an alert.
    static func certainty(_ value: Certainty) -> String {
        switch value {
        case .observed: return String(localized: "Confirmed by the network")
        case .likely: return String(localized: "Likely")
        case .possible: return String(localized: "Possible")
        case .unverified: return String(localized: "Not verified")
        }
    }

    static func status(_ value: AlertStatus) -> String {
        switch value {
        case .active: return String(localized: "Active")
        case .expired: return String(localized: "Expired")
        case .superseded: return String(localized: "Replaced by an update")
        case .retracted: return String(localized: "Called off by the network")
        case .withdrawn: return String(localized: "Withdrawn: a signer is no longer trusted")
        }
    }

    static func relevance(_ value: Relevance) -> String {
        switch value {
        case let .savedPlace(label: place):
            return String(localized: "Near your place “\(place)”")
        case let .followedRegion(code: code):
            return String(localized: "In region \(code)")
        case .elsewhere:
            return String(localized: "Outside your places and regions")
        }
    }
}

enum Formatting {
    static func date(ms: Int64) -> Date {
        Date(timeIntervalSince1970: TimeInterval(ms) / 1000)
    }

    static func ms(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    static func dateTime(ms: Int64) -> String {
        date(ms: ms).formatted(date: .abbreviated, time: .shortened)
    }

    /// Coordinates as the form shows them: always with a dot, six decimals (about 10 cm).
    static func coordinate(_ value: Double) -> String {
        String(format: "%.6f", value)
    }

    /// A telephone link for a hotline number as the core gives it.
    static func telURL(_ number: String) -> URL? {
        let dialable = number.filter { ($0.isASCII && $0.isNumber) || $0 == "+" }
        return dialable.isEmpty ? nil : URL(string: "tel:\(dialable)")
    }
}
