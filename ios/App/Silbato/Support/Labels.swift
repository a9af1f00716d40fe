import Foundation

/// Display names for the values the core passes as its tags (see the bindings' `model.rs`).
/// An unknown tag is shown as it is.
enum Tags {
    static let activities = ["arrest", "raid", "checkpoint", "patrol", "staging", "surveillance", "other"]
    static let agencies = ["ice", "cbp", "hsi", "local_police", "unknown", "other"]
    static let confidences = ["observed", "likely", "unconfirmed"]

    static func activity(_ tag: String) -> String {
        switch tag {
        case "arrest": return String(localized: "Arrest")
        case "raid": return String(localized: "Raid")
        case "checkpoint": return String(localized: "Checkpoint")
        case "patrol": return String(localized: "Patrol")
        case "staging": return String(localized: "Staging")
        case "surveillance": return String(localized: "Surveillance")
        case "other": return String(localized: "Other")
        default: return tag
        }
    }

    static func agency(_ tag: String) -> String {
        switch tag {
        case "ice": return String(localized: "ICE")
        case "cbp": return String(localized: "CBP / Border Patrol")
        case "hsi": return String(localized: "HSI")
        case "local_police": return String(localized: "Local police")
        case "unknown": return String(localized: "Unknown")
        case "other": return String(localized: "Other")
        default: return tag
        }
    }

    /// How sure the patroller is.
    static func confidence(_ tag: String) -> String {
        switch tag {
        case "observed": return String(localized: "Seen first-hand")
        case "likely": return String(localized: "Likely")
        case "unconfirmed": return String(localized: "Unconfirmed")
        default: return tag
        }
    }

    static func plateMatch(_ tag: String) -> String {
        switch tag {
        case "exact": return String(localized: "exact match")
        case "confusable": return String(localized: "matches with look-alike characters")
        case "partial": return String(localized: "partial match")
        default: return tag
        }
    }

    static func category(_ tag: String) -> String {
        switch tag {
        case "raid": return String(localized: "Raid")
        case "checkpoint": return String(localized: "Checkpoint")
        case "patrol": return String(localized: "Patrol")
        case "detention": return String(localized: "Detention")
        case "all_clear": return String(localized: "All clear")
        case "community_event": return String(localized: "Community event")
        case "information": return String(localized: "Information")
        default: return tag
        }
    }

    static func severity(_ tag: String) -> String {
        switch tag {
        case "extreme": return String(localized: "Extreme")
        case "severe": return String(localized: "Severe")
        case "moderate": return String(localized: "Moderate")
        case "minor": return String(localized: "Minor")
        case "unknown": return String(localized: "Unknown")
        default: return tag
        }
    }

    /// How sure the network is of an alert.
    static func certainty(_ tag: String) -> String {
        switch tag {
        case "observed": return String(localized: "Confirmed by the network")
        case "likely": return String(localized: "Likely")
        case "possible": return String(localized: "Possible")
        case "unverified": return String(localized: "Not verified")
        default: return tag
        }
    }

    static func status(_ tag: String) -> String {
        switch tag {
        case "active": return String(localized: "Active")
        case "expired": return String(localized: "Expired")
        case "superseded": return String(localized: "Replaced by an update")
        case "retracted": return String(localized: "Withdrawn by the network")
        default: return tag
        }
    }

    static func relevance(_ tag: String, label: String?) -> String {
        switch (tag, label) {
        case let ("saved_place", place?):
            return String(localized: "Near your place “\(place)”")
        case let ("followed_region", code?):
            return String(localized: "In region \(code)")
        case ("elsewhere", _):
            return String(localized: "Outside your places and regions")
        default:
            return label ?? tag
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
