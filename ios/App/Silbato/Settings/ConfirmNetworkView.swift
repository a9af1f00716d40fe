import SilbatoCore
import SwiftUI

/// An installed network is trusted only once the user has compared its fingerprint with the
/// one the organizers show (in person, or on a channel they already trust).
struct ConfirmNetworkView: View {
    let network: NetworkItem
    let onConfirmed: () -> Void
    @EnvironmentObject private var host: CoreHost
    @Environment(\.dismiss) private var dismiss
    @State private var confirming = false
    @State private var error: String? = nil

    var body: some View {
        List {
            Section {
                LabeledContent("Name", value: network.name)
                LabeledContent("Server", value: network.hubUrl)
                if !network.regions.isEmpty {
                    LabeledContent("Regions", value: network.regions.joined(separator: ", "))
                }
                LabeledContent("Version", value: String(network.version))
            }
            Section {
                Text(network.fingerprint)
                    .font(.title2.monospaced())
                    .textSelection(.enabled)
                    .frame(maxWidth: .infinity, alignment: .center)
                    .padding(.vertical, 8)
            } header: {
                Text("Fingerprint")
            } footer: {
                Text("Ask the organizers to read out or show their fingerprint. Confirm only if every character matches. Until then, Silbato shows no alerts from this network.")
            }
            Section {
                Button {
                    Task { await confirm() }
                } label: {
                    if confirming {
                        ProgressView()
                    } else {
                        Label("It matches: trust this network", systemImage: "checkmark.seal")
                    }
                }
                .disabled(confirming)
                Button("It does not match", role: .cancel) {
                    dismiss()
                }
            }
        }
        .navigationTitle("Check the fingerprint")
        .navigationBarTitleDisplayMode(.inline)
        .errorAlert($error)
    }

    private func confirm() async {
        confirming = true
        defer { confirming = false }
        let id = network.id
        let fingerprint = network.fingerprint
        do {
            try await host.run { try $0.inbox().confirmNetwork(id: id, fingerprint: fingerprint) }
            onConfirmed()
            dismiss()
        } catch {
            self.error = ErrorText.message(error)
        }
    }
}
