import Foundation
import SilbatoCore
import UserNotifications

/// Rewrites every Silbato push before iOS shows it. The push carries `silbato`: base64 of a
/// content-free wake-up or of one alert sealed to this device. The core opens it, verifies and
/// stores the alert, and says what the notification may show: generic text ("New alert from
/// <network>") unless the user turned headlines on. This extension shows exactly that, or just
/// "Silbato" when the core gives nothing (a wake-up, a rejected or repeated alert, a locked phone
/// whose files cannot be opened, or no time left). It never shows anything else from the push,
/// and the delivered notification carries none of the push's data.
final class NotificationService: UNNotificationServiceExtension {
    private let delivery = Delivery()

    override func didReceive(
        _ request: UNNotificationRequest,
        withContentHandler contentHandler: @escaping (UNNotificationContent) -> Void
    ) {
        delivery.begin(contentHandler, sound: request.content.sound)
        let payload = (request.content.userInfo["silbato"] as? String)
            .flatMap { Data(base64Encoded: $0) }
        let lang = AppLanguage.code
        let sink = self.delivery
        DispatchQueue.global(qos: .userInitiated).async {
            let shown = payload.flatMap { Self.ingest($0, lang: lang) }
            sink.finish(title: shown?.title, body: shown?.body)
        }
    }

    override func serviceExtensionTimeWillExpire() {
        delivery.finish(title: nil, body: nil)
    }

    /// Opens the core, hands it the payload, and closes it again before returning, so this
    /// process holds no database lock once the notification is delivered.
    private static func ingest(_ payload: Data, lang: String) -> (title: String?, body: String?)? {
        guard let core = try? SilbatoStorage.open(),
              let result = try? core.inbox().ingestPush(payload: payload, lang: lang)
        else {
            return nil
        }
        if result.notificationTitle == nil && result.notificationBody == nil {
            return nil
        }
        return (result.notificationTitle, result.notificationBody)
    }
}

/// Calls the content handler exactly once, from whichever of the work or the time limit finishes
/// first.
private final class Delivery: @unchecked Sendable {
    private let lock = NSLock()
    private var handler: ((UNNotificationContent) -> Void)?
    private var sound: UNNotificationSound?

    func begin(_ handler: @escaping (UNNotificationContent) -> Void, sound: UNNotificationSound?) {
        lock.lock()
        defer { lock.unlock() }
        self.handler = handler
        self.sound = sound
    }

    func finish(title: String?, body: String?) {
        lock.lock()
        let handler = self.handler
        let sound = self.sound
        self.handler = nil
        lock.unlock()
        guard let handler else { return }

        let content = UNMutableNotificationContent()
        if title == nil && body == nil {
            content.title = "Silbato"
        } else {
            content.title = title ?? ""
            content.body = body ?? ""
        }
        content.sound = sound
        handler(content)
    }
}
