import SilbatoCore
import SwiftUI

/// First use: choose the passphrase that encrypts the log.
struct VaultSetupView: View {
    let onDone: () -> Void
    @EnvironmentObject private var host: CoreHost
    @State private var passphrase = ""
    @State private var repeated = ""
    @State private var working = false
    @State private var error: String? = nil

    var body: some View {
        Form {
            Section {
                Text("Your sightings are kept encrypted on this phone. Only this passphrase opens them: someone who forces the phone open still cannot read the log without it. It cannot be recovered if you forget it.")
                    .font(.callout)
            }
            Section("Choose a passphrase") {
                SecureField("Passphrase", text: $passphrase)
                SecureField("Repeat the passphrase", text: $repeated)
            }
            .textInputAutocapitalization(.never)
            .autocorrectionDisabled()
            .privacySensitive()
            Section {
                Button {
                    Task { await create() }
                } label: {
                    if working {
                        ProgressView()
                    } else {
                        Text("Create the log")
                    }
                }
                .disabled(working || passphrase.isEmpty || passphrase != repeated)
            } footer: {
                if !repeated.isEmpty && passphrase != repeated {
                    Text("The two passphrases differ.")
                }
            }
        }
        .errorAlert($error)
    }

    private func create() async {
        working = true
        defer { working = false }
        let bytes = Data(passphrase.utf8)
        do {
            try await host.run { try $0.vault().`init`(passphraseUtf8: bytes) }
            passphrase = ""
            repeated = ""
            onDone()
        } catch {
            self.error = ErrorText.message(error)
        }
    }
}

/// The log is locked: the passphrase opens it.
struct VaultUnlockView: View {
    let onDone: () -> Void
    @EnvironmentObject private var host: CoreHost
    @State private var passphrase = ""
    @State private var working = false
    @State private var error: String? = nil

    var body: some View {
        Form {
            Section {
                SecureField("Passphrase", text: $passphrase)
                    .textInputAutocapitalization(.never)
                    .autocorrectionDisabled()
                    .privacySensitive()
                    .onSubmit {
                        Task { await unlock() }
                    }
                Button {
                    Task { await unlock() }
                } label: {
                    if working {
                        ProgressView()
                    } else {
                        Label("Unlock", systemImage: "lock.open")
                    }
                }
                .disabled(working || passphrase.isEmpty)
            } header: {
                Text("The log is locked")
            } footer: {
                Text("It locks itself after five minutes without use and whenever Silbato leaves the screen.")
            }
        }
        .errorAlert($error)
    }

    private func unlock() async {
        guard !working, !passphrase.isEmpty else { return }
        working = true
        defer { working = false }
        let bytes = Data(passphrase.utf8)
        passphrase = ""
        do {
            try await host.run { try $0.vault().unlock(passphraseUtf8: bytes) }
            onDone()
        } catch {
            self.error = ErrorText.message(error)
        }
    }
}
