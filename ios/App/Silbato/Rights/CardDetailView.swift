import SilbatoCore
import SwiftUI

/// One card: its body, the phrases to say, the text to show an agent, and its sources.
struct CardDetailView: View {
    let ref: CardRef
    @EnvironmentObject private var host: CoreHost
    @State private var card: CardDetail? = nil
    @State private var showingAgent = false
    @State private var error: String? = nil

    var body: some View {
        ScrollView {
            if let card {
                content(card)
                    .padding()
                    .frame(maxWidth: .infinity, alignment: .leading)
            } else {
                ProgressView()
                    .padding()
            }
        }
        .navigationTitle(card?.title ?? "")
        .navigationBarTitleDisplayMode(.inline)
        .task(id: host.generation) {
            await load()
        }
        .fullScreenCover(isPresented: $showingAgent) {
            ShowAgentView(text: card?.showAgent ?? "")
        }
        .errorAlert($error)
    }

    @ViewBuilder
    private func content(_ card: CardDetail) -> some View {
        VStack(alignment: .leading, spacing: 16) {
            if card.fallback {
                Label("Not yet translated into your language; shown in another.", systemImage: "globe")
                    .font(.footnote)
                    .foregroundStyle(.secondary)
            }
            Text(card.categoryName)
                .font(.subheadline)
                .foregroundStyle(.secondary)
            Text(card.title)
                .font(.largeTitle.bold())
            Text(card.summary)
                .font(.title3)
            if !card.showAgent.isEmpty {
                Button {
                    showingAgent = true
                } label: {
                    Label("Show to an agent", systemImage: "rectangle.portrait.and.arrow.forward")
                        .frame(maxWidth: .infinity)
                }
                .buttonStyle(.borderedProminent)
                .controlSize(.large)
            }
            ForEach(Array(card.blocks.enumerated()), id: \.offset) { _, block in
                BlockView(block: block)
            }
            if !card.say.isEmpty {
                Text("What to say")
                    .font(.title2.bold())
                ForEach(card.say, id: \.self) { phrase in
                    Text(phrase)
                        .font(.title3.weight(.semibold))
                        .padding()
                        .frame(maxWidth: .infinity, alignment: .leading)
                        .background(Color.accentColor.opacity(0.12), in: RoundedRectangle(cornerRadius: 12))
                        .textSelection(.enabled)
                }
            }
            if !card.sources.isEmpty {
                Text("Sources")
                    .font(.title2.bold())
                ForEach(card.sources, id: \.self) { source in
                    VStack(alignment: .leading, spacing: 2) {
                        if let url = URL(string: source.url) {
                            Link(source.title, destination: url)
                        } else {
                            Text(source.title)
                        }
                        Text(source.publisher)
                            .font(.footnote)
                            .foregroundStyle(.secondary)
                    }
                }
            }
            Text("Last reviewed: \(card.lastReviewed)")
                .font(.footnote)
                .foregroundStyle(.secondary)
        }
    }

    private func load() async {
        let id = self.ref.id
        let lang = self.ref.lang
        do {
            card = try await host.run { try $0.rights().card(id: id, lang: lang) }
        } catch {
            self.error = ErrorText.message(error)
        }
    }
}

/// A block of a card body: heading, paragraph, bullets or numbered list, with bold runs.
struct BlockView: View {
    let block: TextBlock

    var body: some View {
        switch block.kind {
        case .heading:
            Text(styled(block.items.joined(separator: " ")))
                .font(.title2.bold())
        case .bullets, .numbered:
            VStack(alignment: .leading, spacing: 8) {
                ForEach(Array(block.items.enumerated()), id: \.offset) { index, item in
                    HStack(alignment: .firstTextBaseline, spacing: 8) {
                        Text(verbatim: block.kind == .numbered ? "\(index + 1)." : "•")
                            .monospacedDigit()
                        Text(styled(item))
                    }
                }
            }
        case .paragraph:
            Text(styled(block.items.joined(separator: "\n")))
        }
    }

    private func styled(_ text: String) -> AttributedString {
        var attributed = AttributedString(text)
        for run in block.strong where !run.isEmpty {
            var searchStart = attributed.startIndex
            while let range = attributed[searchStart...].range(of: run) {
                attributed[range].inlinePresentationIntent = .stronglyEmphasized
                searchStart = range.upperBound
            }
        }
        return attributed
    }
}
