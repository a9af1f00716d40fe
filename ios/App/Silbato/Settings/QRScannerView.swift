import AVFoundation
import SwiftUI
import UIKit

/// A sheet with the camera, closed by the first QR code it reads.
struct QRScannerSheet: View {
    let onCode: (String) -> Void
    @Environment(\.dismiss) private var dismiss
    @State private var failure: QRScannerController.Failure? = nil

    var body: some View {
        NavigationStack {
            Group {
                if let failure {
                    VStack(spacing: 12) {
                        Image(systemName: "camera.fill")
                            .font(.largeTitle)
                        switch failure {
                        case .denied:
                            Text("Silbato may not use the camera. Allow it in Settings, or install the network from a file.")
                        case .unavailable:
                            Text("The camera is not available. Install the network from a file instead.")
                        }
                    }
                    .multilineTextAlignment(.center)
                    .padding()
                } else {
                    QRScannerView(onCode: onCode) { failure = $0 }
                        .ignoresSafeArea(edges: .bottom)
                }
            }
            .navigationTitle("Scan the network's code")
            .navigationBarTitleDisplayMode(.inline)
            .toolbar {
                ToolbarItem(placement: .cancellationAction) {
                    Button("Cancel") { dismiss() }
                }
            }
        }
    }
}

struct QRScannerView: UIViewControllerRepresentable {
    let onCode: (String) -> Void
    let onFailure: (QRScannerController.Failure) -> Void

    func makeUIViewController(context: Context) -> QRScannerController {
        let controller = QRScannerController()
        controller.onCode = onCode
        controller.onFailure = onFailure
        return controller
    }

    func updateUIViewController(_ controller: QRScannerController, context: Context) {}
}

/// AVFoundation capture with a metadata output for QR codes. Frames are never stored.
final class QRScannerController: UIViewController, AVCaptureMetadataOutputObjectsDelegate {
    enum Failure {
        case denied
        case unavailable
    }

    var onCode: ((String) -> Void)?
    var onFailure: ((Failure) -> Void)?

    private let session = AVCaptureSession()
    private let sessionQueue = DispatchQueue(label: "org.silbato.qr-scanner")
    private var preview: AVCaptureVideoPreviewLayer?
    private var delivered = false

    override func viewDidLoad() {
        super.viewDidLoad()
        view.backgroundColor = .black
        switch AVCaptureDevice.authorizationStatus(for: .video) {
        case .authorized:
            configure()
        case .notDetermined:
            AVCaptureDevice.requestAccess(for: .video) { granted in
                DispatchQueue.main.async {
                    if granted {
                        self.configure()
                    } else {
                        self.onFailure?(.denied)
                    }
                }
            }
        default:
            onFailure?(.denied)
        }
    }

    override func viewDidLayoutSubviews() {
        super.viewDidLayoutSubviews()
        preview?.frame = view.bounds
    }

    override func viewWillDisappear(_ animated: Bool) {
        super.viewWillDisappear(animated)
        let capture = self.session
        sessionQueue.async {
            if capture.isRunning {
                capture.stopRunning()
            }
        }
    }

    private func configure() {
        guard let camera = AVCaptureDevice.default(for: .video),
              let input = try? AVCaptureDeviceInput(device: camera),
              session.canAddInput(input)
        else {
            onFailure?(.unavailable)
            return
        }
        session.addInput(input)
        let output = AVCaptureMetadataOutput()
        guard session.canAddOutput(output) else {
            onFailure?(.unavailable)
            return
        }
        session.addOutput(output)
        output.setMetadataObjectsDelegate(self, queue: .main)
        // The output lists the QR type only once it has joined the session.
        guard output.availableMetadataObjectTypes.contains(.qr) else {
            onFailure?(.unavailable)
            return
        }
        output.metadataObjectTypes = [.qr]

        let layer = AVCaptureVideoPreviewLayer(session: session)
        layer.videoGravity = .resizeAspectFill
        layer.frame = view.bounds
        view.layer.addSublayer(layer)
        preview = layer

        let capture = self.session
        sessionQueue.async {
            capture.startRunning()
        }
    }

    func metadataOutput(
        _ output: AVCaptureMetadataOutput,
        didOutput metadataObjects: [AVMetadataObject],
        from connection: AVCaptureConnection
    ) {
        guard !delivered,
              let code = metadataObjects
                  .compactMap({ $0 as? AVMetadataMachineReadableCodeObject })
                  .first(where: { $0.type == .qr })?
                  .stringValue
        else {
            return
        }
        delivered = true
        let capture = self.session
        sessionQueue.async {
            capture.stopRunning()
        }
        onCode?(code)
    }
}
