import SilbatoCore
import SwiftUI
import UniformTypeIdentifiers

/// A network waiting for the user to compare its fingerprint.
struct PendingNetwork: Identifiable {
    let item: NetworkItem
    var id: String { item.id }
}

/// Networks (install from a QR code or a file, confirm by fingerprint), notification privacy and
/// sync.
struct SettingsView: View {
    @EnvironmentObject private var host: CoreHost
    @AppStorage(SettingsKeys.headlines) private var headlines = false
    @State private var networks: [NetworkItem] = []
    @State private var scanning = false
    @State private var scannedCode: String? = nil
    @State private var importing = false
    @State private var installing = false
    @State private var pending: PendingNetwork? = nil
    @State private var syncing = false
    @State private var lastSync: SyncSummary? = nil
    @State private var error: String? = nil

    /// The toggle changes only once the core has stored the new value.
    private var headlinesBinding: Binding<Bool> {
        Binding(
            get: { headlines },
            set: { on in
                Task { await setHeadlines(on) }
            }
        )
    }

    var body: some View {
        List {
            Section {
                ForEach(networks, id: \.id) { network in
                    Button {
                        if !network.confirmed {
                            pending = PendingNetwork(item: network)
                        }
                    } label: {
                        NetworkRow(network: network)
                    }
                    .foregroundStyle(.primary)
                }
                Button {
                    scanning = true
                } label: {
                    Label("Scan a network's QR code", systemImage: "qrcode.viewfinder")
                }
                Button {
                    importing = true
                } label: {
                    Label("Install a network from a file", systemImage: "doc")
                }
            } header: {
                Text("Networks")
            } footer: {
                if installing {
                    ProgressView()
                } else {
                    Text("Get the code or file from your rapid-response network's organizers, and check its fingerprint with them.")
                }
            }

            Section {
                Toggle("Show alert headlines in notifications", isOn: headlinesBinding)
            } header: {
                Text("Notifications")
            } footer: {
                Text("Off: a notification only says that an alert came from your network. On: its headline is written into the phone's notification history, where anyone holding the unlocked phone can read it, and where it may stay after Silbato is deleted.")
            }

            Section {
                Button {
                    Task { await syncNow() }
                } label: {
                    if syncing {
                        ProgressView()
                    } else {
                        Label("Sync now", systemImage: "arrow.triangle.2.circlepath")
                    }
                }
                .disabled(syncing)
                if let lastSync {
                    LabeledContent("New alerts", value: String(lastSync.alertsAccepted))
                    LabeledContent("Reports sent", value: String(lastSync.reportsSent))
                    LabeledContent("Reports waiting", value: String(lastSync.reportsPending))
                    if !lastSync.failures.isEmpty {
                        (lastSync.retryable
                            ? Text("Some steps failed; they are tried again at the next sync.")
                            : Text("The network's server refused some requests."))
                            .font(.footnote)
                    }
                }
            } header: {
                Text("Sync")
            }
        }
        .navigationTitle("Settings")
        .sheet(isPresented: $scanning, onDismiss: {
            // Installed once the scanner is gone, so the fingerprint sheet can be presented.
            if let code = scannedCode {
                scannedCode = nil
                Task { await installFromQR(code) }
            }
        }) {
            QRScannerSheet { text in
                scannedCode = text
                scanning = false
            }
            .privacyCover()
        }
        .fileImporter(isPresented: $importing, allowedContentTypes: [.data]) { result in
            switch result {
            case let .success(url):
                Task { await installFromFile(url) }
            case let .failure(failure):
                error = ErrorText.message(failure)
            }
        }
        .sheet(item: $pending) { pending in
            NavigationStack {
                ConfirmNetworkView(network: pending.item) {
                    Task { await load() }
                }
            }
            .privacyCover()
        }
        .task(id: host.generation) {
            await load()
        }
        .errorAlert($error)
    }

    private func load() async {
        do {
            networks = try await host.run { try $0.inbox().networks() }
        } catch {
            self.error = ErrorText.message(error)
        }
    }

    private func setHeadlines(_ on: Bool) async {
        do {
            try await host.run { try $0.inbox().setHeadlineInNotifications(on: on) }
            headlines = on
        } catch {
            self.error = ErrorText.message(error)
        }
    }

    private func installFromQR(_ text: String) async {
        await install { try $0.inbox().installNetworkQr(text: text, fingerprint: nil) }
    }

    private func installFromFile(_ url: URL) async {
        let profile: Data
        do {
            profile = try Self.read(url)
        } catch {
            self.error = ErrorText.message(error)
            return
        }
        await install { try $0.inbox().installNetwork(profile: profile, fingerprint: nil) }
    }

    private func install(_ call: @escaping @Sendable (Silbato) throws -> NetworkItem) async {
        installing = true
        defer { installing = false }
        do {
            let item = try await host.run(call)
            await load()
            if !item.confirmed {
                pending = PendingNetwork(item: item)
            }
        } catch {
            self.error = ErrorText.message(error)
        }
    }

    /// Reads at most 1 MiB: far above any network profile, so the core sees an oversized file
    /// and says so, without this app loading a huge one into memory.
    private static func read(_ url: URL) throws -> Data {
        let scoped = url.startAccessingSecurityScopedResource()
        defer {
            if scoped {
                url.stopAccessingSecurityScopedResource()
            }
        }
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        return try handle.read(upToCount: 1 << 20) ?? Data()
    }

    private func syncNow() async {
        syncing = true
        defer { syncing = false }
        do {
            lastSync = try await host.sync()
        } catch {
            self.error = ErrorText.message(error)
        }
        await load()
    }
}

struct NetworkRow: View {
    let network: NetworkItem

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            HStack {
                Text(network.name)
                    .font(.headline)
                Spacer()
                if network.confirmed {
                    Label("Confirmed", systemImage: "checkmark.seal.fill")
                        .labelStyle(.iconOnly)
                        .foregroundStyle(.green)
                } else {
                    Text("Tap to confirm")
                        .font(.caption)
                        .foregroundStyle(.orange)
                }
            }
            Text(network.regions.joined(separator: ", "))
                .font(.caption)
                .foregroundStyle(.secondary)
        }
    }
}
