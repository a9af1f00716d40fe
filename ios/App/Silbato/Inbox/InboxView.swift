import SilbatoCore
import SwiftUI

struct AlertRef: Hashable {
    let id: String
}

struct PlacesRoute: Hashable {}

/// Verified alerts: the ones in force, then earlier ones (expired, replaced, withdrawn).
struct InboxView: View {
    @EnvironmentObject private var host: CoreHost
    @State private var active: [AlertItem] = []
    @State private var earlier: [AlertItem] = []
    @State private var loaded = false
    @State private var syncProblem: String? = nil
    @State private var error: String? = nil

    var body: some View {
        List {
            if let syncProblem {
                Section {
                    Label(syncProblem, systemImage: "wifi.exclamationmark")
                        .font(.footnote)
                }
            }
            Section("In force") {
                if loaded && active.isEmpty {
                    Text("No alerts in force.")
                        .foregroundStyle(.secondary)
                }
                ForEach(active, id: \.id) { alert in
                    NavigationLink(value: AlertRef(id: alert.id)) {
                        AlertRow(alert: alert)
                    }
                }
            }
            if !earlier.isEmpty {
                Section("Earlier") {
                    ForEach(earlier, id: \.id) { alert in
                        NavigationLink(value: AlertRef(id: alert.id)) {
                            AlertRow(alert: alert)
                        }
                    }
                }
            }
        }
        .navigationTitle("Alerts")
        .navigationDestination(for: AlertRef.self) { ref in
            AlertDetailView(ref: ref)
        }
        .navigationDestination(for: PlacesRoute.self) { _ in
            PlacesView()
        }
        .toolbar {
            ToolbarItem(placement: .primaryAction) {
                NavigationLink(value: PlacesRoute()) {
                    Label("Places", systemImage: "mappin.and.ellipse")
                }
            }
        }
        .refreshable {
            await sync()
        }
        .task(id: host.inboxRevision) {
            await load()
        }
        .errorAlert($error)
    }

    private func load() async {
        let lang = AppLanguage.code
        do {
            let (active, history) = try await host.run { core -> ([AlertItem], [AlertItem]) in
                let inbox = core.inbox()
                return (try inbox.active(lang: lang, limit: 200), try inbox.history(lang: lang, limit: 200))
            }
            self.active = active
            earlier = history.filter { $0.status != .active }
            loaded = true
        } catch {
            self.error = ErrorText.message(error)
        }
        await host.refreshUnread()
    }

    private func sync() async {
        do {
            let summary = try await host.sync()
            syncProblem = summary.failures.isEmpty
                ? nil
                : (summary.retryable
                    ? String(localized: "Some updates could not be fetched. Pull down to try again.")
                    : String(localized: "The network's server refused some requests."))
        } catch {
            self.error = ErrorText.message(error)
        }
    }
}

struct AlertRow: View {
    let alert: AlertItem

    var body: some View {
        HStack(alignment: .top, spacing: 10) {
            Circle()
                .fill(alert.read ? Color.clear : Color.accentColor)
                .frame(width: 10, height: 10)
                .padding(.top, 6)
                .accessibilityHidden(true)
            VStack(alignment: .leading, spacing: 4) {
                if alert.allClear {
                    Label("All clear", systemImage: "checkmark.shield")
                        .font(.caption.bold())
                        .foregroundStyle(.green)
                }
                Text(alert.headline)
                    .font(.headline)
                Text(verbatim: "\(Labels.category(alert.category)) · \(Labels.certainty(alert.certainty))")
                    .font(.subheadline)
                Text(Labels.relevance(alert.relevance))
                    .font(.subheadline)
                    .foregroundStyle(.secondary)
                HStack {
                    Text(alert.networkName)
                    Text(Formatting.date(ms: alert.sentMs), style: .relative)
                }
                .font(.caption)
                .foregroundStyle(.secondary)
                if alert.status != .active {
                    Text(Labels.status(alert.status))
                        .font(.caption)
                        .foregroundStyle(.secondary)
                }
            }
        }
        .accessibilityElement(children: .combine)
        .accessibilityValue(alert.read ? Text(verbatim: "") : Text("Unread"))
    }
}
