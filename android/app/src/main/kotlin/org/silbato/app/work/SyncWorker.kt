package org.silbato.app.work

import android.content.Context
import androidx.work.BackoffPolicy
import androidx.work.Constraints
import androidx.work.CoroutineWorker
import androidx.work.ExistingPeriodicWorkPolicy
import androidx.work.ExistingWorkPolicy
import androidx.work.ListenableWorker
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequestBuilder
import androidx.work.PeriodicWorkRequestBuilder
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import java.util.concurrent.TimeUnit
import org.silbato.app.data.repositories
import org.silbato.core.SilbatoException

/**
 * `silbato.sync(null)`: profile, packs, watch-list and alerts from every confirmed network's hub,
 * and the outbox of sealed reports. What was fetched is the core's business; this job only says
 * whether to try again.
 */
class SyncWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {

    override suspend fun doWork(): Result = runSync(applicationContext)

    companion object {
        private const val PERIODIC = "silbato-sync-periodic"
        private const val NOW = "silbato-sync-now"

        private val network = Constraints.Builder()
            .setRequiredNetworkType(NetworkType.CONNECTED)
            .build()

        /** Every 30 minutes while there is a network (push carries the urgent ones). */
        fun schedulePeriodic(context: Context) {
            val request = PeriodicWorkRequestBuilder<SyncWorker>(30, TimeUnit.MINUTES)
                .setConstraints(network)
                .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, 1, TimeUnit.MINUTES)
                .build()
            WorkManager.getInstance(context)
                .enqueueUniquePeriodicWork(PERIODIC, ExistingPeriodicWorkPolicy.KEEP, request)
        }

        /** As soon as possible: after a wake-up push, or after queueing a report. */
        fun runOnce(context: Context) {
            val request = OneTimeWorkRequestBuilder<SyncWorker>()
                .setConstraints(network)
                .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, 30, TimeUnit.SECONDS)
                .build()
            WorkManager.getInstance(context)
                .enqueueUniqueWork(NOW, ExistingWorkPolicy.REPLACE, request)
        }

        internal suspend fun runSync(context: Context): ListenableWorker.Result =
            try {
                val summary = context.repositories.sync.sync()
                if (summary.failures.isNotEmpty() && summary.retryable) {
                    ListenableWorker.Result.retry()
                } else {
                    ListenableWorker.Result.success()
                }
            } catch (e: SilbatoException.Network) {
                if (e.retryable) ListenableWorker.Result.retry() else ListenableWorker.Result.failure()
            } catch (e: SilbatoException) {
                ListenableWorker.Result.failure()
            }
    }
}
