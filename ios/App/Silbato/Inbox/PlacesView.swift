import SilbatoCore
import SwiftUI

/// The places and regions alerts are matched against. Both stay on this phone (places
/// encrypted); the network's server never learns them.
struct PlacesView: View {
    @EnvironmentObject private var host: CoreHost
    @State private var places: [PlaceItem] = []
    @State private var followed: [String] = []
    @State private var networkRegions: [String] = []
    @State private var newRegion = ""
    @State private var adding = false
    @State private var error: String? = nil

    var body: some View {
        List {
            Section {
                ForEach(places, id: \.id) { place in
                    VStack(alignment: .leading, spacing: 2) {
                        Text(place.label)
                            .font(.headline)
                        Text(verbatim: "\(Formatting.coordinate(place.latitude)), \(Formatting.coordinate(place.longitude)) · \(Int(place.radiusM.rounded())) m")
                            .font(.caption.monospacedDigit())
                            .foregroundStyle(.secondary)
                    }
                }
                .onDelete { offsets in
                    let ids = offsets.map { places[$0].id }
                    Task { await remove(ids) }
                }
                Button {
                    adding = true
                } label: {
                    Label("Add a place", systemImage: "plus")
                }
            } header: {
                Text("Your places")
            } footer: {
                Text("Home, school, work: alerts near them come first. They are kept encrypted on this phone and are never sent anywhere.")
            }

            Section {
                ForEach(followed, id: \.self) { code in
                    Label(code, systemImage: "checkmark")
                }
                ForEach(suggestedRegions, id: \.self) { code in
                    Button {
                        Task { await follow(code) }
                    } label: {
                        Label("Follow \(code)", systemImage: "plus.circle")
                    }
                }
                HStack {
                    TextField("Region code", text: $newRegion)
                        .textInputAutocapitalization(.characters)
                        .autocorrectionDisabled()
                    Button("Follow") {
                        let code = newRegion.trimmingCharacters(in: .whitespacesAndNewlines)
                        Task { await follow(code) }
                    }
                    .disabled(newRegion.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
                }
            } header: {
                Text("Regions")
            } footer: {
                Text("Alerts for a followed region are shown even when they are not near one of your places.")
            }
        }
        .navigationTitle("Places")
        .sheet(isPresented: $adding) {
            NavigationStack {
                AddPlaceView {
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

    private var suggestedRegions: [String] {
        networkRegions.filter { !followed.contains($0) }
    }

    private func load() async {
        do {
            let (places, followed, regions) = try await host.run { core -> ([PlaceItem], [String], [String]) in
                let inbox = core.inbox()
                let regions = try inbox.networks().filter { $0.confirmed }.flatMap { $0.regions }
                return (try inbox.places(), try inbox.followedRegions(), regions)
            }
            self.places = places
            self.followed = followed
            var seen = Set<String>()
            networkRegions = regions.filter { seen.insert($0).inserted }
        } catch {
            self.error = ErrorText.message(error)
        }
    }

    private func remove(_ ids: [String]) async {
        do {
            try await host.run { core -> Void in
                let inbox = core.inbox()
                for id in ids {
                    try inbox.removePlace(id: id)
                }
            }
        } catch {
            self.error = ErrorText.message(error)
        }
        await load()
    }

    private func follow(_ code: String) async {
        guard !code.isEmpty else { return }
        do {
            try await host.run { try $0.inbox().followRegion(code: code) }
            newRegion = ""
        } catch {
            self.error = ErrorText.message(error)
        }
        await load()
    }
}

struct AddPlaceView: View {
    let onSaved: () -> Void
    @EnvironmentObject private var host: CoreHost
    @Environment(\.dismiss) private var dismiss
    @State private var label = ""
    @State private var latitude = ""
    @State private var longitude = ""
    @State private var radius = 500.0
    @State private var locating = false
    @State private var saving = false
    @State private var error: String? = nil
    @State private var location = OneShotLocation()

    private static let radii: [Double] = [200, 500, 1000, 2000, 5000]

    var body: some View {
        Form {
            Section {
                TextField("Name (only you see it)", text: $label)
            }
            Section {
                TextField("Latitude", text: $latitude)
                    .keyboardType(.numbersAndPunctuation)
                TextField("Longitude", text: $longitude)
                    .keyboardType(.numbersAndPunctuation)
                Button {
                    Task { await useMyLocation() }
                } label: {
                    if locating {
                        ProgressView()
                    } else {
                        Label("Use my location", systemImage: "location")
                    }
                }
                .disabled(locating)
            } header: {
                Text("Where")
            } footer: {
                Text("Stand at the place and tap “Use my location”, or type its coordinates.")
            }
            Section("Alert me within") {
                Picker("Distance", selection: $radius) {
                    ForEach(Self.radii, id: \.self) { metres in
                        Text(Measurement(value: metres, unit: UnitLength.meters).formatted(.measurement(width: .abbreviated, usage: .road)))
                            .tag(metres)
                    }
                }
                .pickerStyle(.inline)
                .labelsHidden()
            }
        }
        .navigationTitle("Add a place")
        .navigationBarTitleDisplayMode(.inline)
        .toolbar {
            ToolbarItem(placement: .cancellationAction) {
                Button("Cancel") { dismiss() }
            }
            ToolbarItem(placement: .confirmationAction) {
                Button("Save") {
                    Task { await save() }
                }
                .disabled(saving || label.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
            }
        }
        .errorAlert($error)
    }

    private func useMyLocation() async {
        locating = true
        defer { locating = false }
        do {
            let fix = try await location.current()
            latitude = Formatting.coordinate(fix.coordinate.latitude)
            longitude = Formatting.coordinate(fix.coordinate.longitude)
        } catch {
            self.error = ErrorText.message(error)
        }
    }

    private func save() async {
        saving = true
        defer { saving = false }
        let name = label.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let lat = Self.number(latitude), let lon = Self.number(longitude) else {
            error = String(localized: "Give the place's latitude and longitude as numbers.")
            return
        }
        let metres = self.radius
        do {
            _ = try await host.run {
                try $0.inbox().addPlace(label: name, latitude: lat, longitude: lon, radiusM: metres)
            }
            onSaved()
            dismiss()
        } catch {
            self.error = ErrorText.message(error)
        }
    }

    private static func number(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: ",", with: ".")
        guard let value = Double(trimmed), value.isFinite else { return nil }
        return value
    }
}
