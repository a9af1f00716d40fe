import SwiftUI

struct RootView: View {
    @EnvironmentObject private var host: CoreHost

    var body: some View {
        Group {
            switch host.state {
            case .opening:
                ProgressView("Opening…")
            case let .failed(message):
                VStack(spacing: 16) {
                    Image(systemName: "exclamationmark.triangle")
                        .font(.largeTitle)
                    Text("Silbato could not open its data.")
                        .font(.headline)
                    Text(message)
                        .multilineTextAlignment(.center)
                        .foregroundStyle(.secondary)
                    Button("Try again") {
                        Task { await host.start() }
                    }
                    .buttonStyle(.borderedProminent)
                }
                .padding()
            case .ready:
                MainTabs()
            }
        }
        .privacyCover()
    }
}

struct MainTabs: View {
    @EnvironmentObject private var host: CoreHost

    var body: some View {
        TabView {
            NavigationStack { RightsView() }
                .tabItem { Label("Rights", systemImage: "book.closed") }
            NavigationStack { VaultView() }
                .tabItem { Label("Log", systemImage: "lock.doc") }
            NavigationStack { InboxView() }
                .tabItem { Label("Alerts", systemImage: "bell") }
                .badge(host.unread)
            NavigationStack { SettingsView() }
                .tabItem { Label("Settings", systemImage: "gearshape") }
        }
    }
}
