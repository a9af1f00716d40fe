import SilbatoCore
import SwiftUI

/// One sighting as it stands after its amendments, with amend and report.
struct RecordDetailView: View {
    let ref: RecordRef
    @EnvironmentObject private var host: CoreHost
    @State private var record: RecordItem? = nil
    @State private var networks: [NetworkItem] = []
    @State private var amending = false
    @State private var reportTo: NetworkItem? = nil
    @State private var reported = false
    @State private var error: String? = nil

    var body: some View {
        Group {
            if let record {
                details(record)
            } else {
                ProgressView()
            }
        }
        .navigationTitle("Sighting")
        .navigationBarTitleDisplayMode(.inline)
        .toolbar {
            if record != nil {
                ToolbarItem(placement: .primaryAction) {
                    Menu {
                        Button {
                            amending = true
                        } label: {
                            Label("Amend", systemImage: "square.and.pencil")
                        }
                        if !networks.isEmpty {
                            Section("Report to") {
                                ForEach(networks, id: \.id) { network in
                                    Button(network.name) { reportTo = network }
                                }
                            }
                        }
                    } label: {
                        Label("Actions", systemImage: "ellipsis.circle")
                    }
                }
            }
        }
        .sheet(isPresented: $amending) {
            if let record {
                NavigationStack {
                    SightingFormView(mode: .amend(record)) {
                        Task { await load() }
                    }
                }
                .privacySensitive()
                .privacyCover()
            }
        }
        .confirmationDialog(
            Text("Report this sighting?"),
            isPresented: Binding(get: { reportTo != nil }, set: { if !$0 { reportTo = nil } }),
            titleVisibility: .visible,
            presenting: reportTo
        ) { network in
            Button("Send to \(network.name)") {
                Task { await report(to: network) }
            }
        } message: { network in
            Text("It is sealed so that only the dispatchers of \(network.name) can read it, and sent at the next sync.")
        }
        .alert(Text("Report queued. It is sent when the phone next reaches the network."), isPresented: $reported) {
            Button("OK", role: .cancel) {}
        }
        .task(id: host.generation) {
            await load()
        }
        .errorAlert($error)
    }

    private func details(_ record: RecordItem) -> some View {
        let s = record.sighting
        return List {
            Section("When and where") {
                LabeledContent("Seen at", value: Formatting.dateTime(ms: s.observedAtMs))
                if let place = s.place {
                    LabeledContent("Place", value: place)
                }
                if let lat = s.latitude, let lon = s.longitude {
                    LabeledContent("Position", value: "\(Formatting.coordinate(lat)), \(Formatting.coordinate(lon))")
                }
                if let accuracy = s.accuracyM {
                    LabeledContent("Accuracy", value: "± \(Int(accuracy.rounded())) m")
                }
            }
            Section("What") {
                LabeledContent("Activity", value: Labels.activity(s.activity))
                LabeledContent("Agency", value: Labels.agency(s.agency))
                if let officers = s.officerCount {
                    LabeledContent("Officers", value: String(officers))
                }
                if let detained = s.peopleDetained {
                    LabeledContent("People detained", value: String(detained))
                }
                if let uniforms = s.uniforms {
                    LabeledContent("Uniforms", value: uniforms)
                }
                LabeledContent("How sure", value: Labels.confidence(s.confidence))
            }
            if !s.vehicles.isEmpty {
                Section("Vehicles") {
                    ForEach(Array(s.vehicles.enumerated()), id: \.offset) { _, vehicle in
                        VStack(alignment: .leading, spacing: 2) {
                            if let description = vehicle.description {
                                Text(description)
                            }
                            if let plate = vehicle.plate {
                                Text(verbatim: [plate, vehicle.plateState].compactMap { $0 }.joined(separator: " · "))
                                    .font(.body.monospaced())
                            }
                        }
                    }
                }
            }
            if !s.badges.isEmpty {
                Section("Badges and names") {
                    ForEach(Array(s.badges.enumerated()), id: \.offset) { _, badge in
                        Text(badge)
                    }
                }
            }
            if let notes = s.notes {
                Section("Notes") {
                    Text(notes)
                }
            }
            Section {
                LabeledContent("Logged at", value: Formatting.dateTime(ms: record.recordedAtMs))
                LabeledContent("Photos", value: String(record.photos))
                LabeledContent("Amendments", value: String(record.amendments))
            }
        }
        .privacySensitive()
    }

    private func load() async {
        let id = ref.id
        do {
            let (record, networks) = try await host.run { core -> (RecordItem, [NetworkItem]) in
                (try core.vault().record(id: id), try core.inbox().networks().filter { $0.confirmed })
            }
            self.record = record
            self.networks = networks
        } catch {
            self.error = ErrorText.message(error)
        }
    }

    private func report(to network: NetworkItem) async {
        let recordId = ref.id
        let networkId = network.id
        do {
            _ = try await host.run { try $0.vault().report(recordId: recordId, networkId: networkId) }
            reported = true
        } catch {
            self.error = ErrorText.message(error)
            return
        }
        _ = try? await host.sync()
    }
}
