package org.silbato.app.ui.vault

import android.net.Uri
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableLongStateOf
import androidx.compose.runtime.mutableStateListOf
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import org.silbato.core.Activity
import org.silbato.core.Agency
import org.silbato.core.Confidence
import org.silbato.core.SightingInput
import org.silbato.core.VehicleInfo

/**
 * The log-a-sighting form's fields as typed, held in memory only (never in a saved-state
 * bundle, which the system may write to disk). Turning them into a [SightingInput] only maps
 * blank to absent and text to numbers; every rule about what is valid is the core's.
 */
class SightingForm(initial: SightingInput?) {
    var observedAtMs by mutableLongStateOf(initial?.observedAtMs ?: System.currentTimeMillis())
    var minutesAgo by mutableStateOf("")
        private set
    var activity by mutableStateOf<Activity?>(initial?.activity)
    var agency by mutableStateOf(initial?.agency ?: Agency.UNKNOWN)
    var confidence by mutableStateOf<Confidence?>(initial?.confidence)
    var place by mutableStateOf(initial?.place.orEmpty())
    var latitude by mutableStateOf(initial?.latitude?.toString().orEmpty())
    var longitude by mutableStateOf(initial?.longitude?.toString().orEmpty())
    var accuracy by mutableStateOf(initial?.accuracyM?.toString().orEmpty())
    var officerCount by mutableStateOf(initial?.officerCount?.toString().orEmpty())
    var peopleDetained by mutableStateOf(initial?.peopleDetained?.toString().orEmpty())
    var uniforms by mutableStateOf(initial?.uniforms.orEmpty())
    val badges = mutableStateListOf<String>().apply { initial?.badges?.let { addAll(it) } }
    val vehicles = mutableStateListOf<VehicleFields>().apply {
        initial?.vehicles?.forEach {
            add(VehicleFields(it.description.orEmpty(), it.plate.orEmpty(), it.plateState.orEmpty()))
        }
    }
    var notes by mutableStateOf(initial?.notes.orEmpty())
    val photos = mutableStateListOf<Uri>()
    var reason by mutableStateOf("")

    /** "Minutes ago" sets the observed time relative to now. */
    fun updateMinutesAgo(text: String) {
        minutesAgo = text
        text.toLongOrNull()?.takeIf { it in 0..(60L * 24 * 366) }?.let {
            observedAtMs = System.currentTimeMillis() - it * 60_000L
        }
    }

    val latitudeInvalid get() = invalidNumber(latitude)
    val longitudeInvalid get() = invalidNumber(longitude)
    val accuracyInvalid get() = invalidNumber(accuracy)
    val officerCountInvalid get() = invalidCount(officerCount)
    val peopleDetainedInvalid get() = invalidCount(peopleDetained)

    /** Every required choice made and every number readable. */
    val ready: Boolean
        get() = activity != null && confidence != null &&
            !latitudeInvalid && !longitudeInvalid && !accuracyInvalid &&
            !officerCountInvalid && !peopleDetainedInvalid

    /** Called only when [ready] (the Save button is disabled until then). */
    fun toInput(): SightingInput = SightingInput(
        observedAtMs = observedAtMs,
        latitude = number(latitude),
        longitude = number(longitude),
        accuracyM = number(accuracy),
        place = place.ifBlank { null },
        activity = checkNotNull(activity) { "no activity chosen" },
        agency = agency,
        officerCount = officerCount.trim().toUIntOrNull(),
        vehicles = vehicles.filterNot { it.blank }.map {
            VehicleInfo(
                description = it.description.ifBlank { null },
                plate = it.plate.ifBlank { null },
                plateState = it.plateState.ifBlank { null },
            )
        },
        uniforms = uniforms.ifBlank { null },
        badges = badges.filter { it.isNotBlank() },
        peopleDetained = peopleDetained.trim().toUIntOrNull(),
        notes = notes.ifBlank { null },
        confidence = checkNotNull(confidence) { "no confidence chosen" },
    )

    private companion object {
        /** Accepts a decimal comma as typed on many keyboards. */
        fun number(text: String): Double? = text.trim().replace(',', '.').toDoubleOrNull()
        fun invalidNumber(text: String) = text.isNotBlank() && number(text) == null
        fun invalidCount(text: String) = text.isNotBlank() && text.trim().toUIntOrNull() == null
    }
}

class VehicleFields(description: String = "", plate: String = "", plateState: String = "") {
    var description by mutableStateOf(description)
    var plate by mutableStateOf(plate)
    var plateState by mutableStateOf(plateState)
    val blank get() = description.isBlank() && plate.isBlank() && plateState.isBlank()
}
