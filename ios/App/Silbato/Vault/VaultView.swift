import SilbatoCore
import SwiftUI

struct RecordRef: Hashable {
    let id: String
}

/// The patroller's sighting log: set up, unlock, list, log, lock, and the panic wipe.
struct VaultView: View {
    @EnvironmentObject private var host: CoreHost
    /// The core's vault state (nil until known).
    @State private var vaultState: VaultState? = nil
    @State private var records: [RecordItem] = []
    @State private var logging = false
    @State private var confirmingWipe = false
    @State private var wiping = false
    @State private var wipeDone = false
    @State private var error: String? = nil

    var body: some View {
        content
            .navigationTitle("Sighting log")
            .navigationDestination(for: RecordRef.self) { ref in
                RecordDetailView(ref: ref)
            }
            .toolbar {
                if vaultState == .locked || vaultState == .unlocked {
                    ToolbarItem(placement: .navigationBarLeading) {
                        Button(role: .destructive) {
                            confirmingWipe = true
                        } label: {
                            Label("Panic wipe", systemImage: "flame")
                        }
                        .tint(.red)
                        .disabled(wiping)
                    }
                }
                if vaultState == .unlocked {
                    ToolbarItem(placement: .primaryAction) {
                        Button {
                            logging = true
                        } label: {
                            Label("Log a sighting", systemImage: "plus")
                        }
                    }
                }
            }
            .confirmationDialog(
                Text("Wipe the sighting log?"),
                isPresented: $confirmingWipe,
                titleVisibility: .visible
            ) {
                Button("Wipe everything in the log", role: .destructive) {
                    Task { await wipe() }
                }
            } message: {
                Text("Every sighting and photo in the log is destroyed at once and cannot be recovered. The know-your-rights cards keep working.")
            }
            .sheet(isPresented: $logging) {
                NavigationStack {
                    SightingFormView(mode: .log) {
                        Task { await reload() }
                    }
                }
                .privacyCover()
            }
            .alert(Text("The log was wiped."), isPresented: $wipeDone) {
                Button("OK", role: .cancel) {}
            }
            .onAppear {
                Task { await reload() }
            }
            .onChange(of: host.generation) { _ in
                Task { await reload() }
            }
            .errorAlert($error)
    }

    @ViewBuilder
    private var content: some View {
        switch vaultState {
        case .notInitialized?:
            VaultSetupView {
                Task { await reload() }
            }
        case .locked?:
            VaultUnlockView {
                Task { await reload() }
            }
        case .unlocked?:
            List {
                if records.isEmpty {
                    Text("No sightings yet. Tap + to log one.")
                        .foregroundStyle(.secondary)
                }
                ForEach(records, id: \.id) { record in
                    NavigationLink(value: RecordRef(id: record.id)) {
                        RecordRow(record: record)
                    }
                }
                Section {
                    Button {
                        Task { await lock() }
                    } label: {
                        Label("Lock the log", systemImage: "lock")
                    }
                }
            }
        case nil:
            ProgressView()
        }
    }

    private func reload() async {
        do {
            let (state, records) = try await host.run { core -> (VaultState, [RecordItem]) in
                let vault = core.vault()
                let state = vault.state()
                return (state, state == .unlocked ? try vault.list() : [])
            }
            vaultState = state
            self.records = records
        } catch {
            self.error = ErrorText.message(error)
        }
    }

    private func lock() async {
        do {
            try await host.run { $0.vault().lock() }
        } catch {
            self.error = ErrorText.message(error)
        }
        await reload()
    }

    private func wipe() async {
        wiping = true
        defer { wiping = false }
        do {
            _ = try await host.run { try $0.vault().wipe() }
            records = []
            wipeDone = true
        } catch {
            self.error = ErrorText.message(error)
        }
        await reload()
    }
}

struct RecordRow: View {
    let record: RecordItem

    var body: some View {
        let sighting = record.sighting
        VStack(alignment: .leading, spacing: 4) {
            Text(verbatim: "\(Labels.activity(sighting.activity)) · \(Labels.agency(sighting.agency))")
                .font(.headline)
            Text(Formatting.dateTime(ms: sighting.observedAtMs))
                .font(.subheadline)
            if let place = sighting.place {
                Text(place)
                    .font(.subheadline)
                    .foregroundStyle(.secondary)
            }
            if record.amendments > 0 {
                Text("Amended")
                    .font(.caption)
                    .foregroundStyle(.secondary)
            }
        }
    }
}

enum PlateMatchText {
    static func describe(_ matches: [PlateMatch]) -> String {
        matches.map { match in
            var line = match.plate
            if let state = match.state {
                line += " (\(state))"
            }
            line += " — " + Labels.plateMatch(match.kind)
            if let description = match.description {
                line += "\n" + description
            }
            return line
        }
        .joined(separator: "\n\n")
    }
}
