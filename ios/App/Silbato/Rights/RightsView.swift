import SilbatoCore
import SwiftUI

/// A card to open, in the language to ask the core for.
struct CardRef: Hashable {
    let id: String
    let lang: String
}

/// The know-your-rights library: cards by category, hotlines, and search across every language.
struct RightsView: View {
    @EnvironmentObject private var host: CoreHost
    @State private var cards: [CardSummary] = []
    @State private var hotlines: [Hotline] = []
    @State private var disclaimer = ""
    @State private var query = ""
    @State private var results: [SearchResult] = []
    @State private var searched = false
    @State private var error: String? = nil

    private var trimmedQuery: String {
        query.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    var body: some View {
        List {
            if trimmedQuery.isEmpty {
                library
            } else {
                searchResults
            }
        }
        .navigationTitle("Know your rights")
        .navigationDestination(for: CardRef.self) { ref in
            CardDetailView(ref: ref)
        }
        .searchable(text: $query, prompt: Text("Search, in any language"))
        .autocorrectionDisabled()
        .task(id: host.generation) {
            await load()
        }
        .task(id: trimmedQuery) {
            await search(trimmedQuery)
        }
        .errorAlert($error)
    }

    @ViewBuilder
    private var library: some View {
        if host.contentWasRebuilt {
            Section {
                Text("The card library was damaged and has been restored from the copy built into Silbato.")
                    .font(.footnote)
            }
        }
        ForEach(categories) { category in
            Section {
                ForEach(category.cards, id: \.id) { card in
                    NavigationLink(value: CardRef(id: card.id, lang: AppLanguage.code)) {
                        VStack(alignment: .leading, spacing: 4) {
                            Text(card.title)
                                .font(.headline)
                            Text(card.summary)
                                .font(.subheadline)
                                .foregroundStyle(.secondary)
                        }
                    }
                }
            } header: {
                Text(category.name)
            }
        }
        if !hotlines.isEmpty {
            Section("Hotlines") {
                ForEach(hotlines, id: \.self) { hotline in
                    HotlineRow(hotline: hotline)
                }
            }
        }
        if !disclaimer.isEmpty {
            Section {
                Text(disclaimer)
                    .font(.footnote)
                    .foregroundStyle(.secondary)
            }
        }
    }

    @ViewBuilder
    private var searchResults: some View {
        if searched && results.isEmpty {
            Text("No card matches.")
                .foregroundStyle(.secondary)
        }
        ForEach(results, id: \.self) { result in
            NavigationLink(value: CardRef(id: result.cardId, lang: result.lang)) {
                VStack(alignment: .leading, spacing: 4) {
                    Text(result.title)
                        .font(.headline)
                    snippet(result.snippet)
                        .font(.subheadline)
                        .foregroundStyle(.secondary)
                }
            }
        }
    }

    private func snippet(_ spans: [SnippetSpan]) -> Text {
        spans.reduce(Text(verbatim: "")) { text, span in
            text + (span.highlight ? Text(span.text).bold().foregroundColor(.primary) : Text(span.text))
        }
    }

    /// Cards grouped by category, in the order the core lists them.
    private var categories: [CardGroup] {
        var groups: [CardGroup] = []
        for card in cards {
            if let index = groups.firstIndex(where: { $0.name == card.categoryName }) {
                groups[index].cards.append(card)
            } else {
                groups.append(CardGroup(name: card.categoryName, cards: [card]))
            }
        }
        return groups
    }

    private func load() async {
        let lang = AppLanguage.code
        do {
            let (cards, hotlines, disclaimer) = try await host.run { core -> ([CardSummary], [Hotline], String) in
                let rights = core.rights()
                return (
                    try rights.listCards(lang: lang, category: nil),
                    try rights.hotlines(region: nil),
                    try rights.disclaimer(lang: lang)
                )
            }
            self.cards = cards
            self.hotlines = hotlines
            self.disclaimer = disclaimer
        } catch {
            self.error = ErrorText.message(error)
        }
    }

    private func search(_ text: String) async {
        guard !text.isEmpty else {
            results = []
            searched = false
            return
        }
        // Wait for a pause in typing; a newer query cancels this one.
        try? await Task.sleep(nanoseconds: 250_000_000)
        guard !Task.isCancelled else { return }
        do {
            let found = try await host.run { try $0.rights().search(query: text, lang: nil, limit: 50) }
            guard !Task.isCancelled else { return }
            results = found
            searched = true
        } catch {
            self.error = ErrorText.message(error)
        }
    }
}

private struct CardGroup: Identifiable {
    let name: String
    var cards: [CardSummary]
    var id: String { name }
}

struct HotlineRow: View {
    let hotline: Hotline

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            Text(hotline.name)
                .font(.headline)
            if let url = Formatting.telURL(hotline.number) {
                Link(hotline.number, destination: url)
                    .font(.title3.monospacedDigit())
            } else {
                Text(hotline.number)
            }
            if let hours = hotline.hours {
                Text(hours)
                    .font(.footnote)
                    .foregroundStyle(.secondary)
            }
            Text(hotline.region)
                .font(.caption)
                .foregroundStyle(.secondary)
        }
    }
}
