package org.silbato.app.ui.rights

import android.content.ActivityNotFoundException
import android.content.Intent
import android.net.Uri
import android.view.WindowManager
import androidx.compose.foundation.background
import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.safeDrawingPadding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Call
import androidx.compose.material.icons.filled.Search
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.platform.LocalUriHandler
import androidx.compose.ui.platform.LocalView
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.AnnotatedString
import androidx.compose.ui.text.SpanStyle
import androidx.compose.ui.text.buildAnnotatedString
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.style.TextDecoration
import androidx.compose.ui.text.withStyle
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp
import androidx.core.view.WindowCompat
import androidx.core.view.WindowInsetsCompat
import androidx.core.view.WindowInsetsControllerCompat
import kotlinx.coroutines.delay
import org.silbato.app.R
import org.silbato.app.data.readerLang
import org.silbato.app.data.repositories
import org.silbato.app.ui.common.ErrorText
import org.silbato.app.ui.common.Load
import org.silbato.app.ui.common.LoadContent
import org.silbato.app.ui.common.ScreenScaffold
import org.silbato.app.ui.common.SectionTitle
import org.silbato.app.ui.common.attempt
import org.silbato.app.ui.common.findActivity
import org.silbato.app.ui.common.loadItems
import org.silbato.app.ui.common.rememberLoad
import org.silbato.core.BlockKind
import org.silbato.core.CardDetail
import org.silbato.core.SearchResult
import org.silbato.core.TextBlock

/** The card list, or search results while the search box has text. */
@Composable
fun RightsScreen(onOpenCard: (id: String, lang: String) -> Unit, onHotlines: () -> Unit) {
    val repo = LocalContext.current.repositories.rights
    val lang = readerLang()
    var query by remember { mutableStateOf("") }
    var results by remember { mutableStateOf<Load<List<SearchResult>>?>(null) }
    val cards = rememberLoad(lang) { repo.cards(lang) }
    val disclaimer = rememberLoad(lang) { repo.disclaimer(lang) }

    LaunchedEffect(query) {
        if (query.isBlank()) {
            results = null
        } else {
            delay(150) // a new keystroke cancels this search
            results = attempt { repo.search(query) }
        }
    }

    ScreenScaffold(
        title = stringResource(R.string.tab_rights),
        actions = {
            IconButton(onClick = onHotlines) {
                Icon(Icons.Filled.Call, contentDescription = stringResource(R.string.hotlines))
            }
        },
    ) { padding ->
        LazyColumn(Modifier.fillMaxSize().padding(padding)) {
            item {
                OutlinedTextField(
                    value = query,
                    onValueChange = { query = it },
                    label = { Text(stringResource(R.string.search_rights)) },
                    leadingIcon = { Icon(Icons.Filled.Search, contentDescription = null) },
                    singleLine = true,
                    modifier = Modifier.fillMaxWidth().padding(16.dp),
                )
            }
            val searching = results
            if (searching != null) {
                loadItems(searching) { hits ->
                    if (hits.isEmpty()) item { Text(stringResource(R.string.no_results), Modifier.padding(16.dp)) }
                    items(hits) { hit ->
                        ListItem(
                            headlineContent = { Text(hit.title) },
                            supportingContent = { Text(snippet(hit)) },
                            modifier = Modifier.clickable { onOpenCard(hit.cardId, hit.lang) },
                        )
                    }
                }
            } else {
                loadItems(cards.state) { list ->
                    list.forEachIndexed { i, card ->
                        if (i == 0 || list[i - 1].categoryName != card.categoryName) {
                            item { SectionTitle(card.categoryName) }
                        }
                        item {
                            ListItem(
                                headlineContent = { Text(card.title) },
                                supportingContent = {
                                    Column {
                                        Text(card.summary)
                                        if (card.fallback) FallbackNote()
                                    }
                                },
                                modifier = Modifier.clickable { onOpenCard(card.id, lang) },
                            )
                        }
                    }
                }
            }
            item {
                val text = (disclaimer.state as? Load.Ready)?.value
                if (text != null) {
                    Column {
                        HorizontalDivider(Modifier.padding(top = 16.dp))
                        Text(
                            text,
                            style = MaterialTheme.typography.bodySmall,
                            color = MaterialTheme.colorScheme.onSurfaceVariant,
                            modifier = Modifier.padding(16.dp),
                        )
                    }
                }
            }
        }
    }
}

private fun snippet(hit: SearchResult): AnnotatedString = buildAnnotatedString {
    hit.snippet.forEach { span ->
        if (span.highlight) {
            withStyle(SpanStyle(fontWeight = FontWeight.Bold)) { append(span.text) }
        } else {
            append(span.text)
        }
    }
}

@Composable
private fun FallbackNote() {
    Text(
        stringResource(R.string.fallback_language),
        style = MaterialTheme.typography.labelSmall,
        color = MaterialTheme.colorScheme.onSurfaceVariant,
    )
}

/** One card: what to say first, the "show an agent" button, then the body and its sources. */
@Composable
fun CardScreen(id: String, lang: String, onBack: () -> Unit, onShowAgent: () -> Unit) {
    val repo = LocalContext.current.repositories.rights
    val card = rememberLoad(id, lang) { repo.card(id, lang) }
    val title = (card.state as? Load.Ready)?.value?.title ?: ""
    ScreenScaffold(title = title, onBack = onBack) { padding ->
        Column(Modifier.fillMaxSize().padding(padding).verticalScroll(rememberScrollState())) {
            LoadContent(card.state) { CardBody(it, onShowAgent) }
        }
    }
}

@Composable
private fun CardBody(card: CardDetail, onShowAgent: () -> Unit) {
    val uriHandler = LocalUriHandler.current
    Column(Modifier.padding(horizontal = 16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        Text(card.categoryName, style = MaterialTheme.typography.labelLarge, color = MaterialTheme.colorScheme.primary)
        Text(card.title, style = MaterialTheme.typography.headlineSmall)
        if (card.fallback) FallbackNote()
        Text(card.summary, style = MaterialTheme.typography.bodyLarge)
        if (card.showAgent.isNotBlank()) {
            Button(onClick = onShowAgent, modifier = Modifier.fillMaxWidth().padding(vertical = 8.dp)) {
                Text(stringResource(R.string.show_agent), style = MaterialTheme.typography.titleMedium)
            }
        }
    }
    if (card.say.isNotEmpty()) {
        SectionTitle(stringResource(R.string.what_to_say))
        card.say.forEach { phrase ->
            Card(Modifier.fillMaxWidth().padding(horizontal = 16.dp, vertical = 4.dp)) {
                Text(phrase, style = MaterialTheme.typography.titleLarge, modifier = Modifier.padding(16.dp))
            }
        }
    }
    Column(Modifier.padding(horizontal = 16.dp, vertical = 8.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        card.blocks.forEach { TextBlockView(it) }
    }
    if (card.sources.isNotEmpty()) {
        SectionTitle(stringResource(R.string.sources))
        card.sources.forEach { source ->
            ListItem(
                headlineContent = { Text(source.title) },
                supportingContent = {
                    Column {
                        Text(source.publisher)
                        Text(
                            source.url,
                            color = MaterialTheme.colorScheme.primary,
                            textDecoration = TextDecoration.Underline,
                        )
                    }
                },
                // No browser installed: the address stays on screen.
                modifier = Modifier.clickable { runCatching { uriHandler.openUri(source.url) } },
            )
        }
    }
    Text(
        stringResource(R.string.last_reviewed, card.lastReviewed),
        style = MaterialTheme.typography.bodySmall,
        color = MaterialTheme.colorScheme.onSurfaceVariant,
        modifier = Modifier.padding(16.dp),
    )
}

@Composable
private fun TextBlockView(block: TextBlock) {
    when (block.kind) {
        BlockKind.HEADING -> block.items.forEach {
            Text(emphasised(it, block.strong), style = MaterialTheme.typography.titleMedium, modifier = Modifier.padding(top = 8.dp))
        }
        BlockKind.BULLETS -> block.items.forEach {
            Text(emphasised("•  $it", block.strong), style = MaterialTheme.typography.bodyLarge, modifier = Modifier.padding(start = 8.dp))
        }
        BlockKind.NUMBERED -> block.items.forEachIndexed { i, item ->
            Text(emphasised("${i + 1}.  $item", block.strong), style = MaterialTheme.typography.bodyLarge, modifier = Modifier.padding(start = 8.dp))
        }
        BlockKind.PARAGRAPH -> block.items.forEach {
            Text(emphasised(it, block.strong), style = MaterialTheme.typography.bodyLarge)
        }
    }
}

/** Bolds the runs the core marked strong (styling only). */
private fun emphasised(text: String, strong: List<String>): AnnotatedString = buildAnnotatedString {
    append(text)
    strong.filter { it.isNotEmpty() }.forEach { run ->
        val at = text.indexOf(run)
        if (at >= 0) addStyle(SpanStyle(fontWeight = FontWeight.Bold), at, at + run.length)
    }
}

/**
 * Full screen for showing through a door or a window: the card's "show an agent" text, black on
 * white, very large, with the screen kept on, at full brightness, and the system bars hidden.
 */
@Composable
fun ShowAgentScreen(id: String, lang: String, onClose: () -> Unit) {
    val context = LocalContext.current
    val repo = context.repositories.rights
    val card = rememberLoad(id, lang) { repo.card(id, lang) }
    val view = LocalView.current

    DisposableEffect(view) {
        val window = context.findActivity()?.window
        view.keepScreenOn = true
        val previousBrightness = window?.attributes?.screenBrightness
        window?.let {
            it.attributes = it.attributes.apply {
                screenBrightness = WindowManager.LayoutParams.BRIGHTNESS_OVERRIDE_FULL
            }
        }
        val controller = window?.let { WindowCompat.getInsetsController(it, view) }
        controller?.systemBarsBehavior = WindowInsetsControllerCompat.BEHAVIOR_SHOW_TRANSIENT_BARS_BY_SWIPE
        controller?.hide(WindowInsetsCompat.Type.systemBars())
        onDispose {
            view.keepScreenOn = false
            window?.let {
                it.attributes = it.attributes.apply {
                    screenBrightness = previousBrightness ?: WindowManager.LayoutParams.BRIGHTNESS_OVERRIDE_NONE
                }
            }
            controller?.show(WindowInsetsCompat.Type.systemBars())
        }
    }

    Box(Modifier.fillMaxSize().background(Color.White).safeDrawingPadding()) {
        Column(Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(24.dp)) {
            when (val state = card.state) {
                Load.Loading -> Unit
                is Load.Failed -> ErrorText(state.error)
                is Load.Ready -> Text(
                    state.value.showAgent,
                    color = Color.Black,
                    fontSize = 40.sp,
                    lineHeight = 50.sp,
                    fontWeight = FontWeight.Bold,
                )
            }
            OutlinedButton(onClick = onClose, modifier = Modifier.fillMaxWidth().padding(top = 32.dp)) {
                Text(stringResource(R.string.close), color = Color.Black)
            }
        }
    }
}

/** Hotlines from the installed content; tapping one opens the dialer (no call permission). */
@Composable
fun HotlinesScreen(onBack: () -> Unit) {
    val context = LocalContext.current
    val repo = context.repositories.rights
    val hotlines = rememberLoad { repo.hotlines() }
    ScreenScaffold(title = stringResource(R.string.hotlines), onBack = onBack) { padding ->
        LazyColumn(Modifier.fillMaxSize().padding(padding)) {
            loadItems(hotlines.state) { list ->
                items(list) { line ->
                    ListItem(
                        overlineContent = { Text(line.region) },
                        headlineContent = { Text(line.name) },
                        supportingContent = {
                            Column {
                                Text(line.number, style = MaterialTheme.typography.titleMedium)
                                line.hours?.let { Text(it) }
                            }
                        },
                        trailingContent = { Icon(Icons.Filled.Call, contentDescription = stringResource(R.string.call)) },
                        modifier = Modifier.clickable { dial(context, line.number) },
                    )
                }
            }
        }
    }
}

fun dial(context: android.content.Context, number: String) {
    try {
        context.startActivity(
            Intent(Intent.ACTION_DIAL, Uri.fromParts("tel", number, null)).addFlags(Intent.FLAG_ACTIVITY_NEW_TASK),
        )
    } catch (e: ActivityNotFoundException) {
        // No dialer (a tablet): the number is on screen to copy.
    }
}
