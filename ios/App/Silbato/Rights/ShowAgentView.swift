import SwiftUI
import UIKit

/// Full screen, very large text to hold up to a door's window or hand through it. The screen
/// stays on and at full brightness until it is closed.
struct ShowAgentView: View {
    let text: String
    @Environment(\.dismiss) private var dismiss
    @State private var previousBrightness: CGFloat? = nil

    var body: some View {
        ZStack(alignment: .topTrailing) {
            Color.white
                .ignoresSafeArea()
            ScrollView {
                Text(text)
                    .font(.system(size: 44, weight: .bold))
                    .foregroundColor(.black)
                    .multilineTextAlignment(.leading)
                    .frame(maxWidth: .infinity, alignment: .leading)
                    .padding(.horizontal, 24)
                    .padding(.vertical, 64)
            }
            Button {
                dismiss()
            } label: {
                Image(systemName: "xmark.circle.fill")
                    .font(.system(size: 36))
                    .foregroundColor(.gray)
                    .padding()
            }
            .accessibilityLabel(Text("Close"))
        }
        .statusBarHidden(true)
        .onAppear {
            UIApplication.shared.isIdleTimerDisabled = true
            if let screen = Self.screen {
                previousBrightness = screen.brightness
                screen.brightness = 1.0
            }
        }
        .onDisappear {
            UIApplication.shared.isIdleTimerDisabled = false
            if let previousBrightness, let screen = Self.screen {
                screen.brightness = previousBrightness
            }
        }
        .privacyCover()
    }

    private static var screen: UIScreen? {
        UIApplication.shared.connectedScenes
            .compactMap { $0 as? UIWindowScene }
            .first { $0.activationState == .foregroundActive }?
            .screen
    }
}
