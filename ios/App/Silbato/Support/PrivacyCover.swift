import SwiftUI

/// Hides the screen whenever the app is not active, so the snapshot iOS keeps for the app
/// switcher shows nothing from the log, the inbox or a card. Apply it to the root view and to
/// every sheet and full-screen cover (they are presented above the root).
struct PrivacyCover: ViewModifier {
    @Environment(\.scenePhase) private var scenePhase

    func body(content: Content) -> some View {
        content.overlay {
            if scenePhase != .active {
                ZStack {
                    Color(uiColor: .systemBackground)
                    Image(systemName: "megaphone")
                        .font(.system(size: 64))
                        .foregroundStyle(.secondary)
                }
                .ignoresSafeArea()
            }
        }
    }
}

extension View {
    func privacyCover() -> some View {
        modifier(PrivacyCover())
    }

    /// Shows `message` in an alert while it is not nil.
    func errorAlert(_ message: Binding<String?>) -> some View {
        alert(
            Text("Could not complete"),
            isPresented: Binding(
                get: { message.wrappedValue != nil },
                set: { shown in
                    if !shown {
                        message.wrappedValue = nil
                    }
                }
            ),
            actions: {
                Button("OK", role: .cancel) {}
            },
            message: {
                Text(message.wrappedValue ?? "")
            }
        )
    }
}
