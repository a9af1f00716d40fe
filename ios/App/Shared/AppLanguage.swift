import Foundation

/// The language the core is asked for: the first of the user's preferred languages, as a bare
/// code ("es", "en"). The core falls back to another language when a card has no translation and
/// says so.
enum AppLanguage {
    static var code: String {
        let preferred = Locale.preferredLanguages.first ?? "en"
        return Locale(identifier: preferred).language.languageCode?.identifier ?? "en"
    }
}
