package org.silbato.app.ui

import androidx.compose.foundation.isSystemInDarkTheme
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.darkColorScheme
import androidx.compose.material3.lightColorScheme
import androidx.compose.runtime.Composable
import androidx.compose.ui.graphics.Color

private val Orange = Color(0xFFE65100)
private val OrangeLight = Color(0xFFFFB68A)

@Composable
fun SilbatoTheme(content: @Composable () -> Unit) {
    val colors = if (isSystemInDarkTheme()) {
        darkColorScheme(primary = OrangeLight, secondary = OrangeLight)
    } else {
        lightColorScheme(primary = Orange, secondary = Orange)
    }
    MaterialTheme(colorScheme = colors, content = content)
}
