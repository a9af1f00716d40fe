package org.silbato.app.ui

import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.enableEdgeToEdge

/** The one activity; everything on screen is Compose (SilbatoNavHost). */
class MainActivity : ComponentActivity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        enableEdgeToEdge()
        super.onCreate(savedInstanceState)
        val start = if (intent?.getStringExtra(EXTRA_OPEN) == OPEN_INBOX) Routes.INBOX else Routes.RIGHTS
        setContent {
            SilbatoTheme {
                SilbatoNavHost(startDestination = start)
            }
        }
    }

    companion object {
        const val EXTRA_OPEN = "org.silbato.app.extra.OPEN"
        const val OPEN_INBOX = "inbox"
    }
}
