import PhotosUI
import SilbatoCore
import SwiftUI
import UIKit

/// The form's text, turned into a `SightingInput` only on save. Empty fields are left out; the
/// core checks everything else (ranges, lengths, both coordinates or neither).
struct SightingDraft {
    struct Vehicle: Identifiable {
        let id = UUID()
        var details = ""
        var plate = ""
        var plateState = ""
    }

    struct Badge: Identifiable {
        let id = UUID()
        var text = ""
    }

    var observedAt = Date()
    var latitude = ""
    var longitude = ""
    var accuracy = ""
    var place = ""
    var activity: Activity? = nil
    var agency: Agency = .unknown
    var officerCount = ""
    var vehicles: [Vehicle] = []
    var uniforms = ""
    var badges: [Badge] = []
    var peopleDetained = ""
    var notes = ""
    var confidence: Confidence? = nil

    init() {}

    init(_ s: SightingInput) {
        observedAt = Formatting.date(ms: s.observedAtMs)
        latitude = s.latitude.map(Formatting.coordinate) ?? ""
        longitude = s.longitude.map(Formatting.coordinate) ?? ""
        accuracy = s.accuracyM.map { String(Int($0.rounded())) } ?? ""
        place = s.place ?? ""
        activity = s.activity
        agency = s.agency
        officerCount = s.officerCount.map { String($0) } ?? ""
        vehicles = s.vehicles.map {
            Vehicle(details: $0.description ?? "", plate: $0.plate ?? "", plateState: $0.plateState ?? "")
        }
        uniforms = s.uniforms ?? ""
        badges = s.badges.map { Badge(text: $0) }
        peopleDetained = s.peopleDetained.map { String($0) } ?? ""
        notes = s.notes ?? ""
        confidence = s.confidence
    }

    func input() throws -> SightingInput {
        guard let activity else {
            throw FormError(text: String(localized: "Choose what was happening."))
        }
        guard let confidence else {
            throw FormError(text: String(localized: "Choose how sure you are."))
        }
        return SightingInput(
            observedAtMs: Formatting.ms(observedAt),
            latitude: try Self.decimal(latitude, String(localized: "Latitude")),
            longitude: try Self.decimal(longitude, String(localized: "Longitude")),
            accuracyM: try Self.decimal(accuracy, String(localized: "Accuracy")),
            place: Self.text(place),
            activity: activity,
            agency: agency,
            officerCount: try Self.count(officerCount, String(localized: "Officers")),
            vehicles: vehicles.compactMap { vehicle -> VehicleInfo? in
                let info = VehicleInfo(
                    description: Self.text(vehicle.details),
                    plate: Self.text(vehicle.plate),
                    plateState: Self.text(vehicle.plateState)
                )
                return info.description == nil && info.plate == nil && info.plateState == nil ? nil : info
            },
            uniforms: Self.text(uniforms),
            badges: badges.compactMap { Self.text($0.text) },
            peopleDetained: try Self.count(peopleDetained, String(localized: "People detained")),
            notes: Self.text(notes),
            confidence: confidence
        )
    }

    private static func text(_ value: String) -> String? {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    private static func decimal(_ value: String, _ field: String) throws -> Double? {
        guard let given = text(value) else { return nil }
        guard let number = Double(given.replacingOccurrences(of: ",", with: ".")), number.isFinite else {
            throw FormError(text: String(localized: "\(field) must be a number."))
        }
        return number
    }

    private static func count(_ value: String, _ field: String) throws -> UInt32? {
        guard let given = text(value) else { return nil }
        guard let number = UInt32(given) else {
            throw FormError(text: String(localized: "\(field) must be a whole number."))
        }
        return number
    }
}

/// Log a new sighting, or amend one (an amendment is a new entry; the original stays).
struct SightingFormView: View {
    enum Mode {
        case log
        case amend(RecordItem)
    }

    let mode: Mode
    let onSaved: () -> Void

    @EnvironmentObject private var host: CoreHost
    @Environment(\.dismiss) private var dismiss
    @State private var draft: SightingDraft
    @State private var reason = ""
    @State private var photoItems: [PhotosPickerItem] = []
    @State private var saving = false
    @State private var locating = false
    @State private var matches: [PlateMatch] = []
    @State private var error: String? = nil
    @State private var location = OneShotLocation()

    init(mode: Mode, onSaved: @escaping () -> Void) {
        self.mode = mode
        self.onSaved = onSaved
        switch mode {
        case .log:
            _draft = State(initialValue: SightingDraft())
        case let .amend(record):
            _draft = State(initialValue: SightingDraft(record.sighting))
        }
    }

    private var isAmend: Bool {
        if case .amend = mode { return true }
        return false
    }

    var body: some View {
        Form {
            Section("When and where") {
                DatePicker("Seen at", selection: $draft.observedAt, in: ...Date())
                TextField("Place (corner, building, landmark)", text: $draft.place)
                HStack {
                    TextField("Latitude", text: $draft.latitude)
                        .keyboardType(.numbersAndPunctuation)
                    TextField("Longitude", text: $draft.longitude)
                        .keyboardType(.numbersAndPunctuation)
                }
                TextField("Accuracy in metres", text: $draft.accuracy)
                    .keyboardType(.decimalPad)
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
            }

            Section("What") {
                Picker("Activity", selection: $draft.activity) {
                    Text("Choose…").tag(Activity?.none)
                    ForEach(Labels.activities, id: \.self) { Text(Labels.activity($0)).tag(Activity?.some($0)) }
                }
                Picker("Agency", selection: $draft.agency) {
                    ForEach(Labels.agencies, id: \.self) { Text(Labels.agency($0)).tag($0) }
                }
                TextField("Number of officers", text: $draft.officerCount)
                    .keyboardType(.numberPad)
                TextField("People detained", text: $draft.peopleDetained)
                    .keyboardType(.numberPad)
                TextField("Uniforms (markings, colours, vests)", text: $draft.uniforms)
                Picker("How sure are you?", selection: $draft.confidence) {
                    Text("Choose…").tag(Confidence?.none)
                    ForEach(Labels.confidences, id: \.self) { Text(Labels.confidence($0)).tag(Confidence?.some($0)) }
                }
            }

            Section {
                ForEach($draft.vehicles) { $vehicle in
                    VStack {
                        TextField("Vehicle (make, model, colour)", text: $vehicle.details)
                        HStack {
                            TextField("Plate", text: $vehicle.plate)
                                .textInputAutocapitalization(.characters)
                            TextField("State", text: $vehicle.plateState)
                                .textInputAutocapitalization(.characters)
                                .frame(maxWidth: 90)
                        }
                    }
                    .autocorrectionDisabled()
                }
                .onDelete { draft.vehicles.remove(atOffsets: $0) }
                Button {
                    draft.vehicles.append(SightingDraft.Vehicle())
                } label: {
                    Label("Add a vehicle", systemImage: "car")
                }
            } header: {
                Text("Vehicles")
            } footer: {
                Text("Plates are checked against your network's list of known enforcement vehicles when you save.")
            }

            Section("Badges and names") {
                ForEach($draft.badges) { $badge in
                    TextField("Badge number or name", text: $badge.text)
                        .autocorrectionDisabled()
                }
                .onDelete { draft.badges.remove(atOffsets: $0) }
                Button {
                    draft.badges.append(SightingDraft.Badge())
                } label: {
                    Label("Add a badge", systemImage: "person.text.rectangle")
                }
            }

            Section("Notes") {
                TextEditor(text: $draft.notes)
                    .frame(minHeight: 120)
            }

            if isAmend {
                Section("Why are you changing it?") {
                    TextField("Reason (optional)", text: $reason)
                }
            } else {
                Section {
                    PhotosPicker(selection: $photoItems, maxSelectionCount: 20, matching: .images) {
                        if photoItems.isEmpty {
                            Label("Attach photos", systemImage: "photo")
                        } else {
                            Label("Photos chosen: \(photoItems.count)", systemImage: "photo")
                        }
                    }
                } footer: {
                    Text("A copy goes into the encrypted log with its location and camera details removed. The original stays in your photo library: delete it there if it should not be on this phone.")
                }
            }
        }
        .privacySensitive()
        .navigationTitle(isAmend ? Text("Amend sighting") : Text("Log a sighting"))
        .navigationBarTitleDisplayMode(.inline)
        .toolbar {
            ToolbarItem(placement: .cancellationAction) {
                Button("Cancel") { dismiss() }
            }
            ToolbarItem(placement: .confirmationAction) {
                if saving {
                    ProgressView()
                } else {
                    Button("Save") {
                        Task { await save() }
                    }
                }
            }
        }
        .interactiveDismissDisabled(saving)
        .alert(
            Text("Plate on the watch-list"),
            isPresented: Binding(get: { !matches.isEmpty }, set: { if !$0 { matches = [] } }),
            actions: {
                Button("OK", role: .cancel) { dismiss() }
            },
            message: {
                Text(PlateMatchText.describe(matches))
            }
        )
        .errorAlert($error)
    }

    private func useMyLocation() async {
        locating = true
        defer { locating = false }
        do {
            let fix = try await location.current()
            draft.latitude = Formatting.coordinate(fix.coordinate.latitude)
            draft.longitude = Formatting.coordinate(fix.coordinate.longitude)
            draft.accuracy = fix.horizontalAccuracy >= 0 ? String(Int(fix.horizontalAccuracy.rounded())) : ""
        } catch {
            self.error = ErrorText.message(error)
        }
    }

    private func save() async {
        saving = true
        defer { saving = false }
        do {
            let input = try draft.input()
            switch mode {
            case .log:
                let photos = try await loadPhotos()
                let result = try await host.run { try $0.vault().log(sighting: input, photos: photos) }
                onSaved()
                if result.plateMatches.isEmpty {
                    dismiss()
                } else {
                    // Dismissed when the user has read the matches.
                    matches = result.plateMatches
                }
            case let .amend(record):
                let id = record.id
                let note = self.reason.trimmingCharacters(in: .whitespacesAndNewlines)
                _ = try await host.run {
                    try $0.vault().amend(id: id, sighting: input, reason: note.isEmpty ? nil : note)
                }
                onSaved()
                dismiss()
            }
        } catch {
            self.error = ErrorText.message(error)
        }
    }

    /// The chosen photos re-encoded as JPEG (the core takes JPEG and PNG and strips their
    /// metadata; re-encoding also turns HEIC into JPEG).
    private func loadPhotos() async throws -> [Data] {
        var photos: [Data] = []
        for item in photoItems {
            guard let data = try await item.loadTransferable(type: Data.self),
                  let image = UIImage(data: data),
                  let jpeg = image.jpegData(compressionQuality: 0.85)
            else {
                throw FormError(text: String(localized: "A photo could not be read."))
            }
            photos.append(jpeg)
        }
        return photos
    }
}
