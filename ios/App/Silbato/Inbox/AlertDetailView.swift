import SilbatoCore
import SwiftUI

/// One alert in full: what, where it matters to you, how sure, who signed it, until when.
struct AlertDetailView: View {
    let ref: AlertRef
    @EnvironmentObject private var host: CoreHost
    @State private var alert: AlertItem? = nil
    @State private var error: String? = nil

    var body: some View {
        Group {
            if let alert {
                details(alert)
            } else {
                ProgressView()
            }
        }
        .navigationTitle(alert.map { Labels.category($0.category) } ?? "")
        .navigationBarTitleDisplayMode(.inline)
        .task(id: host.generation) {
            await load()
        }
        .errorAlert($error)
    }

    private func details(_ alert: AlertItem) -> some View {
        List {
            if alert.allClear {
                Section {
                    Label("All clear", systemImage: "checkmark.shield.fill")
                        .font(.title2.bold())
                        .foregroundStyle(.green)
                }
            }
            if alert.status != .active {
                Section {
                    Label(Labels.status(alert.status), systemImage: "clock.badge.xmark")
                        .foregroundStyle(.secondary)
                }
            }
            Section {
                Text(alert.headline)
                    .font(.title2.bold())
                if let description = alert.description {
                    Text(description)
                }
                if let instruction = alert.instruction {
                    Text(instruction)
                        .font(.body.weight(.semibold))
                }
            }
            if let hotline = alert.hotline {
                Section("Hotline") {
                    if let url = Formatting.telURL(hotline) {
                        Link(hotline, destination: url)
                            .font(.title3.monospacedDigit())
                    } else {
                        Text(hotline)
                    }
                }
            }
            Section {
                LabeledContent("Why you see it", value: Labels.relevance(alert.relevance))
                LabeledContent("Severity", value: Labels.severity(alert.severity))
                LabeledContent("How sure", value: Labels.certainty(alert.certainty))
                LabeledContent("Sent", value: Formatting.dateTime(ms: alert.sentMs))
                LabeledContent("Until", value: Formatting.dateTime(ms: alert.expiresMs))
            }
            Section {
                LabeledContent("Network", value: alert.networkName)
                ForEach(alert.signedBy, id: \.self) { signer in
                    Text(signer)
                        .font(.footnote.monospaced())
                }
            } header: {
                Text("Signed by")
            } footer: {
                Text("Silbato shows only alerts whose signatures check out against the network you installed.")
            }
        }
    }

    private func load() async {
        let id = ref.id
        let lang = AppLanguage.code
        do {
            alert = try await host.run { core -> AlertItem in
                let inbox = core.inbox()
                let alert = try inbox.alert(id: id, lang: lang)
                if !alert.read {
                    try inbox.markRead(id: id)
                }
                return alert
            }
        } catch {
            self.error = ErrorText.message(error)
        }
        await host.refreshUnread()
    }
}
