package org.silbato.app.ui

import android.net.Uri
import androidx.compose.foundation.layout.WindowInsets
import androidx.compose.foundation.layout.padding
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Info
import androidx.compose.material.icons.filled.Lock
import androidx.compose.material.icons.filled.Notifications
import androidx.compose.material.icons.filled.Settings
import androidx.compose.material3.Icon
import androidx.compose.material3.NavigationBar
import androidx.compose.material3.NavigationBarItem
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.vector.ImageVector
import androidx.compose.ui.res.stringResource
import androidx.navigation.NavGraph.Companion.findStartDestination
import androidx.navigation.NavHostController
import androidx.navigation.NavType
import androidx.navigation.compose.NavHost
import androidx.navigation.compose.composable
import androidx.navigation.compose.currentBackStackEntryAsState
import androidx.navigation.compose.rememberNavController
import androidx.navigation.navArgument
import org.silbato.app.R
import org.silbato.app.ui.inbox.AlertScreen
import org.silbato.app.ui.inbox.InboxScreen
import org.silbato.app.ui.inbox.PlacesScreen
import org.silbato.app.ui.rights.CardScreen
import org.silbato.app.ui.rights.HotlinesScreen
import org.silbato.app.ui.rights.RightsScreen
import org.silbato.app.ui.rights.ShowAgentScreen
import org.silbato.app.ui.settings.SettingsScreen
import org.silbato.app.ui.vault.RecordScreen
import org.silbato.app.ui.vault.SightingFormScreen
import org.silbato.app.ui.vault.VaultScreen

object Routes {
    const val RIGHTS = "rights"
    const val CARD = "rights/card/{id}/{lang}"
    const val AGENT = "rights/agent/{id}/{lang}"
    const val HOTLINES = "rights/hotlines"
    const val VAULT = "vault"
    const val LOG = "vault/log"
    const val RECORD = "vault/record/{id}"
    const val AMEND = "vault/amend/{id}"
    const val INBOX = "inbox"
    const val ALERT = "inbox/alert/{id}"
    const val PLACES = "inbox/places"
    const val SETTINGS = "settings"

    fun card(id: String, lang: String) = "rights/card/${Uri.encode(id)}/${Uri.encode(lang)}"
    fun agent(id: String, lang: String) = "rights/agent/${Uri.encode(id)}/${Uri.encode(lang)}"
    fun record(id: String) = "vault/record/${Uri.encode(id)}"
    fun amend(id: String) = "vault/amend/${Uri.encode(id)}"
    fun alert(id: String) = "inbox/alert/${Uri.encode(id)}"
}

private data class Tab(val route: String, val label: Int, val icon: ImageVector)

private val tabs = listOf(
    Tab(Routes.RIGHTS, R.string.tab_rights, Icons.Filled.Info),
    Tab(Routes.VAULT, R.string.tab_vault, Icons.Filled.Lock),
    Tab(Routes.INBOX, R.string.tab_inbox, Icons.Filled.Notifications),
    Tab(Routes.SETTINGS, R.string.tab_settings, Icons.Filled.Settings),
)

private val idArg = listOf(navArgument("id") { type = NavType.StringType })
private val cardArgs = idArg + navArgument("lang") { type = NavType.StringType }

@Composable
fun SilbatoNavHost(startDestination: String) {
    val nav = rememberNavController()
    val entry by nav.currentBackStackEntryAsState()
    val route = entry?.destination?.route
    // The show-an-agent screen is full screen: no bottom bar.
    val showBar = route != Routes.AGENT

    Scaffold(
        contentWindowInsets = WindowInsets(0, 0, 0, 0),
        bottomBar = {
            if (showBar) {
                NavigationBar {
                    tabs.forEach { tab ->
                        val selected = route == tab.route || route?.startsWith(tab.route + "/") == true
                        NavigationBarItem(
                            selected = selected,
                            onClick = { nav.openTab(tab.route) },
                            icon = { Icon(tab.icon, contentDescription = null) },
                            label = { Text(stringResource(tab.label)) },
                        )
                    }
                }
            }
        },
    ) { padding ->
        NavHost(nav, startDestination = startDestination, modifier = Modifier.padding(padding)) {
            composable(Routes.RIGHTS) {
                RightsScreen(
                    onOpenCard = { id, lang -> nav.navigate(Routes.card(id, lang)) },
                    onHotlines = { nav.navigate(Routes.HOTLINES) },
                )
            }
            composable(Routes.CARD, cardArgs) { e ->
                val id = e.arguments?.getString("id").orEmpty()
                val lang = e.arguments?.getString("lang").orEmpty()
                CardScreen(id, lang, onBack = { nav.popBackStack() }, onShowAgent = { nav.navigate(Routes.agent(id, lang)) })
            }
            composable(Routes.AGENT, cardArgs) { e ->
                ShowAgentScreen(
                    id = e.arguments?.getString("id").orEmpty(),
                    lang = e.arguments?.getString("lang").orEmpty(),
                    onClose = { nav.popBackStack() },
                )
            }
            composable(Routes.HOTLINES) { HotlinesScreen(onBack = { nav.popBackStack() }) }

            composable(Routes.VAULT) {
                VaultScreen(onLog = { nav.navigate(Routes.LOG) }, onOpenRecord = { nav.navigate(Routes.record(it)) })
            }
            composable(Routes.LOG) {
                SightingFormScreen(
                    recordId = null,
                    onBack = { nav.popBackStack() },
                    onSaved = { id ->
                        nav.navigate(Routes.record(id)) { popUpTo(Routes.VAULT) }
                    },
                )
            }
            composable(Routes.RECORD, idArg) { e ->
                val id = e.arguments?.getString("id").orEmpty()
                RecordScreen(id, onBack = { nav.popBackStack() }, onAmend = { nav.navigate(Routes.amend(id)) })
            }
            composable(Routes.AMEND, idArg) { e ->
                SightingFormScreen(
                    recordId = e.arguments?.getString("id").orEmpty(),
                    onBack = { nav.popBackStack() },
                    onSaved = { nav.popBackStack() },
                )
            }

            composable(Routes.INBOX) {
                InboxScreen(onOpenAlert = { nav.navigate(Routes.alert(it)) }, onPlaces = { nav.navigate(Routes.PLACES) })
            }
            composable(Routes.ALERT, idArg) { e ->
                AlertScreen(e.arguments?.getString("id").orEmpty(), onBack = { nav.popBackStack() })
            }
            composable(Routes.PLACES) { PlacesScreen(onBack = { nav.popBackStack() }) }

            composable(Routes.SETTINGS) { SettingsScreen() }
        }
    }
}

/** Switches tab, keeping one copy of each tab's root on the back stack. */
private fun NavHostController.openTab(route: String) {
    navigate(route) {
        popUpTo(graph.findStartDestination().id) { saveState = true }
        launchSingleTop = true
        restoreState = true
    }
}
