package org.silbato.app.ui.common

import androidx.compose.runtime.Composable
import androidx.compose.ui.res.stringResource
import org.silbato.app.R

/**
 * The core's enumerations cross the FFI as their serde names ("raid", "local_police", ...).
 * The shell only translates them for display; a name it does not know is shown as is.
 */
private val tagLabels: Map<String, Int> = mapOf(
    // Sighting activity; alert category.
    "arrest" to R.string.tag_arrest,
    "raid" to R.string.tag_raid,
    "checkpoint" to R.string.tag_checkpoint,
    "patrol" to R.string.tag_patrol,
    "staging" to R.string.tag_staging,
    "surveillance" to R.string.tag_surveillance,
    "other" to R.string.tag_other,
    "detention" to R.string.tag_detention,
    "all_clear" to R.string.tag_all_clear,
    "community_event" to R.string.tag_community_event,
    "information" to R.string.tag_information,
    // Agency.
    "ice" to R.string.tag_ice,
    "cbp" to R.string.tag_cbp,
    "hsi" to R.string.tag_hsi,
    "local_police" to R.string.tag_local_police,
    "unknown" to R.string.tag_unknown,
    // Sighting confidence; alert certainty.
    "observed" to R.string.tag_observed,
    "likely" to R.string.tag_likely,
    "unconfirmed" to R.string.tag_unconfirmed,
    "possible" to R.string.tag_possible,
    "unverified" to R.string.tag_unverified,
    // Alert severity.
    "extreme" to R.string.tag_extreme,
    "severe" to R.string.tag_severe,
    "moderate" to R.string.tag_moderate,
    "minor" to R.string.tag_minor,
    // Alert status.
    "active" to R.string.tag_active,
    "expired" to R.string.tag_expired,
    "superseded" to R.string.tag_superseded,
    "retracted" to R.string.tag_retracted,
    // Plate match kind.
    "exact" to R.string.tag_exact,
    "confusable" to R.string.tag_confusable,
    "partial" to R.string.tag_partial,
)

@Composable
fun tagLabel(tag: String): String = tagLabels[tag]?.let { stringResource(it) } ?: tag

/** The values the log-a-sighting form offers, as the core names them (bindings model.rs). */
object SightingTags {
    val activities = listOf("arrest", "raid", "checkpoint", "patrol", "staging", "surveillance", "other")
    val agencies = listOf("ice", "cbp", "hsi", "local_police", "unknown", "other")
    val confidences = listOf("observed", "likely", "unconfirmed")
}
