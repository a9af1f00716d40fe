package org.silbato.app.ui.common

import androidx.compose.runtime.Composable
import androidx.compose.ui.res.stringResource
import org.silbato.app.R
import org.silbato.core.Activity
import org.silbato.core.Agency
import org.silbato.core.AlertStatus
import org.silbato.core.Category
import org.silbato.core.Certainty
import org.silbato.core.Confidence
import org.silbato.core.MatchKind
import org.silbato.core.Severity

/*
 * The core's enumerations cross the FFI as enums; the shell only translates them for display.
 * Every `when` below names each value and has no `else`, so a value the core adds is a compile
 * error here instead of a missing label.
 */

/** A sighting's activity. */
@Composable
fun labelOf(value: Activity): String = stringResource(
    when (value) {
        Activity.ARREST -> R.string.tag_arrest
        Activity.RAID -> R.string.tag_raid
        Activity.CHECKPOINT -> R.string.tag_checkpoint
        Activity.PATROL -> R.string.tag_patrol
        Activity.STAGING -> R.string.tag_staging
        Activity.SURVEILLANCE -> R.string.tag_surveillance
        Activity.OTHER -> R.string.tag_other
    },
)

/** A sighting's agency. */
@Composable
fun labelOf(value: Agency): String = stringResource(
    when (value) {
        Agency.ICE -> R.string.tag_ice
        Agency.CBP -> R.string.tag_cbp
        Agency.HSI -> R.string.tag_hsi
        Agency.LOCAL_POLICE -> R.string.tag_local_police
        Agency.UNKNOWN -> R.string.tag_unknown
        Agency.OTHER -> R.string.tag_other
    },
)

/** How sure the patroller is. */
@Composable
fun labelOf(value: Confidence): String = stringResource(
    when (value) {
        Confidence.OBSERVED -> R.string.tag_observed
        Confidence.LIKELY -> R.string.tag_likely
        Confidence.UNCONFIRMED -> R.string.tag_unconfirmed
    },
)

/** How a watch-list plate matched. */
@Composable
fun labelOf(value: MatchKind): String = stringResource(
    when (value) {
        MatchKind.EXACT -> R.string.tag_exact
        MatchKind.CONFUSABLE -> R.string.tag_confusable
        MatchKind.PARTIAL -> R.string.tag_partial
    },
)

/** What an alert is about. */
@Composable
fun labelOf(value: Category): String = stringResource(
    when (value) {
        Category.RAID -> R.string.tag_raid
        Category.CHECKPOINT -> R.string.tag_checkpoint
        Category.PATROL -> R.string.tag_patrol
        Category.DETENTION -> R.string.tag_detention
        Category.ALL_CLEAR -> R.string.tag_all_clear
        Category.COMMUNITY_EVENT -> R.string.tag_community_event
        Category.INFORMATION -> R.string.tag_information
    },
)

/** An alert's severity. */
@Composable
fun labelOf(value: Severity): String = stringResource(
    when (value) {
        Severity.EXTREME -> R.string.tag_extreme
        Severity.SEVERE -> R.string.tag_severe
        Severity.MODERATE -> R.string.tag_moderate
        Severity.MINOR -> R.string.tag_minor
        Severity.UNKNOWN -> R.string.tag_unknown
    },
)

/** How sure the network is of an alert. */
@Composable
fun labelOf(value: Certainty): String = stringResource(
    when (value) {
        Certainty.OBSERVED -> R.string.tag_observed
        Certainty.LIKELY -> R.string.tag_likely
        Certainty.POSSIBLE -> R.string.tag_possible
        Certainty.UNVERIFIED -> R.string.tag_unverified
    },
)

/** Whether an alert still stands. */
@Composable
fun labelOf(value: AlertStatus): String = stringResource(
    when (value) {
        AlertStatus.ACTIVE -> R.string.tag_active
        AlertStatus.EXPIRED -> R.string.tag_expired
        AlertStatus.SUPERSEDED -> R.string.tag_superseded
        AlertStatus.RETRACTED -> R.string.tag_retracted
        AlertStatus.WITHDRAWN -> R.string.tag_withdrawn
    },
)
