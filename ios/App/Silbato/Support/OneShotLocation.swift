import CoreLocation

/// One position fix, asked for only when the user taps "Use my location". Nothing is tracked;
/// the position goes into a form field and from there into the encrypted log or saved places.
@MainActor
final class OneShotLocation: NSObject, CLLocationManagerDelegate {
    enum Failure: Error {
        case denied
        case busy
        case unavailable
    }

    private let manager = CLLocationManager()
    private var pending: CheckedContinuation<CLLocation, Error>?
    private var requested = false

    override init() {
        super.init()
        manager.delegate = self
        manager.desiredAccuracy = kCLLocationAccuracyNearestTenMeters
    }

    func current() async throws -> CLLocation {
        guard pending == nil else { throw Failure.busy }
        return try await withCheckedThrowingContinuation { continuation in
            pending = continuation
            requested = false
            proceed(manager.authorizationStatus)
        }
    }

    private func proceed(_ status: CLAuthorizationStatus) {
        guard pending != nil else { return }
        switch status {
        case .notDetermined:
            manager.requestWhenInUseAuthorization()
        case .authorizedWhenInUse, .authorizedAlways:
            if !requested {
                requested = true
                manager.requestLocation()
            }
        default:
            finish(.failure(Failure.denied))
        }
    }

    private func finish(_ result: Result<CLLocation, Error>) {
        guard let continuation = pending else { return }
        pending = nil
        continuation.resume(with: result)
    }

    nonisolated func locationManagerDidChangeAuthorization(_ manager: CLLocationManager) {
        let status = manager.authorizationStatus
        Task { @MainActor in self.proceed(status) }
    }

    nonisolated func locationManager(_ manager: CLLocationManager, didUpdateLocations locations: [CLLocation]) {
        let last = locations.last
        Task { @MainActor in
            if let last {
                self.finish(.success(last))
            } else {
                self.finish(.failure(Failure.unavailable))
            }
        }
    }

    nonisolated func locationManager(_ manager: CLLocationManager, didFailWithError error: Error) {
        Task { @MainActor in self.finish(.failure(Failure.unavailable)) }
    }
}
