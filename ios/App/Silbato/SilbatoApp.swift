import SwiftUI

@main
struct SilbatoApp: App {
    @StateObject private var host = CoreHost()
    @Environment(\.scenePhase) private var scenePhase

    var body: some Scene {
        WindowGroup {
            RootView()
                .environmentObject(host)
                .task {
                    await host.start()
                }
        }
        .onChange(of: scenePhase) { phase in
            host.scenePhaseChanged(phase)
        }
    }
}
