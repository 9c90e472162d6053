import Foundation
import GessoData
import GessoImages
import GessoModels
import GessoNN
import Testing

/// EfficientNet-Lite0 with its pre-trained ImageNet weights, which `scripts/setup.sh` puts in
/// `$GESSO_HOME/models/efficientnet-lite0.pth` (CI runs it before the tests). Without them these tests fail, saying so.
struct EfficientNetTests {
    static let weightsURL = GessoHome.models.appendingPathComponent("efficientnet-lite0.pth")

    /// Loaded once for all the tests (18.8 MB to parse).
    static let pretrained: Result<EfficientNetLite0, Error> = Result { try EfficientNetLite0.load(from: weightsURL) }

    static func model(sourceLocation: SourceLocation = #_sourceLocation) throws -> EfficientNetLite0 {
        try #require(FileManager.default.fileExists(atPath: weightsURL.path),
                     "\(weightsURL.path) is missing: run `bash scripts/setup.sh` to fetch the EfficientNet-Lite0 weights",
                     sourceLocation: sourceLocation)
        return try pretrained.get()
    }

    static func photo(_ name: String) throws -> Image {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/photos")
        return try ImageFile.read(fixtures.appendingPathComponent(name))
    }

    /// `|got - want| <= atol + rtol * |want|`, shapes first.
    static func expectClose(_ got: [Float], _ want: [Float], atol: Float, rtol: Float = 0, _ what: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(got.count == want.count, "\(what): \(got.count) values, expected \(want.count)", sourceLocation: sourceLocation)
        for (i, (g, w)) in zip(got, want).enumerated() {
            #expect(abs(g - w) <= atol + rtol * abs(w), "\(what)[\(i)]: got \(g), want \(w) (atol \(atol), rtol \(rtol))",
                    sourceLocation: sourceLocation)
        }
    }

    /// DATA.md's reference input: element i of the flat 1x3x224x224 NCHW array is ((i mod 256) - 127) / 128,
    /// here laid out NHWC.
    static func referenceInput() -> Tensor {
        let side = 224
        var values = [Float](repeating: 0, count: side * side * 3)
        for c in 0..<3 {
            for h in 0..<side {
                for w in 0..<side {
                    let flat = (c * side + h) * side + w   // the NCHW index
                    values[(h * side + w) * 3 + c] = (Float(flat % 256) - 127) / 128
                }
            }
        }
        return Tensor(shape: [1, side, side, 3], scalars: values)
    }

    @Test func referenceInputGivesTheReferenceNumbers() throws {
        let model = try Self.model()
        let embedding = model.embedding(Self.referenceInput())
        #expect(embedding.shape == [1, 1280])
        let logits = model.classifier.inference(embedding)
        #expect(logits.shape == [1, 1000])
        let values = logits.scalars
        let top3 = values.indices.sorted { values[$0] > values[$1] }.prefix(3)
        // DATA.md (onnxruntime), and bench/peers/torch_effnet_lite0.py --check (PyTorch) gives the same to 4 decimals:
        // top-3 904 "window screen" 5.1290, 905 "window shade" 5.0456, 851 "television" 3.8211; logits[0..2]
        // -0.4949, -0.1950, -1.1690; embedding sum 105.2696 (DATA.md: 105.27).
        #expect(Array(top3) == [904, 905, 851])
        // Tolerance 1e-3 absolute, as DATA.md asks: the references are rounded to 4 decimals (5e-5), and float32
        // through 18 layers in another summation order may move logits of size ~5 by about 1e-4 (against PyTorch here
        // the largest difference over all 1000 logits was 5e-6); a wrong layout or padding moves them by far more.
        Self.expectClose(top3.map { values[$0] }, [5.1290, 5.0456, 3.8211], atol: 1e-3, "top-3 logits")
        Self.expectClose(Array(values[0..<3]), [-0.4949, -0.1950, -1.1690], atol: 1e-3, "logits[0..2]")
        // The sum of 1280 features, each good to about 1e-5: 1e-3 absolute.
        Self.expectClose([embedding.sum().scalar], [105.2696], atol: 1e-3, "embedding sum")
    }

    @Test func photosGetTheirClasses() throws {
        let model = try Self.model()
        let names = try ImageNetClasses.names()
        let batch = Tensor.concatenate(try ["chelsea.jpg", "coffee.jpg"].map {
            EfficientNetLite0.preprocess(try Self.photo($0)).reshaped(to: [1, 224, 224, 3])
        }, alongAxis: 0)
        let top1 = model.logits(batch).argmax()
        // PyTorch on the same crops: chelsea 282 "tiger cat" 38%, 285 Egyptian cat 33%, 281 tabby 20%;
        // coffee 967 "espresso" 88%.
        #expect((281...285).contains(top1[0]), "chelsea: top-1 is \(top1[0]) \(names[top1[0]]), not a cat (281-285)")
        #expect(top1[1] == 967, "coffee: top-1 is \(top1[1]) \(names[top1[1]]), not 967 espresso")
        #expect(names[967] == "espresso" && names[281] == "tabby")
    }

    @Test func preprocessResizesCropsAndScales() {
        // A 600x300 grey image of 127 (scaled to 0) with one white column at the centre.
        var image = Image(width: 600, height: 300, channels: 1, fill: 127)
        for y in 0..<300 { image.pixels[y * 600 + 300] = 255 }
        let x = EfficientNetLite0.preprocess(image)
        #expect(x.shape == [224, 224, 3])
        let v = x.scalars
        // Shorter side 300 -> 256, so 512x256 with the column near x = 256, then the central 224 from x = 144: the
        // column lies near x = 112 of the crop, whatever the filter. Elsewhere (127 - 127) / 128 = 0 exactly.
        let row = (0..<224).map { v[(100 * 224 + $0) * 3] }
        #expect(row[..<100].allSatisfy { $0 == 0 } && row[125...].allSatisfy { $0 == 0 })
        #expect(row.max()! > 0.3, "the white column is lost: \(row[100..<125])")
        #expect(v.allSatisfy { $0 >= -127.0 / 128 && $0 <= 1 })
    }

    /// A fresh model's tensors, written out in PyTorch's names and layouts, load back unchanged; a state dict with a
    /// tensor missing, one unexpected and one mis-shaped is refused by an error that lists all three.
    @Test func stateDictsAreCheckedByName() throws {
        let fresh = EfficientNetLite0(seed: 3)
        #expect(fresh.parameterCount == 4_652_008)   // PyTorch: sum of numel over the peer's parameters()
        let tensors = fresh.parameters.merging(fresh.buffers) { a, _ in a }
        var torch: [String: Tensor] = ["_bn0.num_batches_tracked": Tensor(0)]
        for (name, gesso, layout) in EfficientNetLite0.torchNames {
            let t = try #require(tensors[gesso], "no Gesso tensor \(gesso)")
            guard let p = layout.permutation else { torch[name] = t; continue }
            var inverse = p
            for (i, axis) in p.enumerated() { inverse[axis] = i }
            torch[name] = t.transposed(inverse)
        }
        #expect(torch["_conv_stem.weight"]?.shape == [32, 3, 3, 3])
        #expect(torch["_blocks.1._depthwise_conv.weight"]?.shape == [96, 1, 3, 3])
        #expect(torch["_fc.weight"]?.shape == [1000, 1280])

        let loaded = try EfficientNetLite0(torchStateDict: torch, file: "fresh.pth")
        for (name, t) in loaded.parameters.merging(loaded.buffers, uniquingKeysWith: { a, _ in a }) {
            #expect(t.shape == tensors[name]?.shape && t.scalars == tensors[name]?.scalars, "\(name) changed")
        }

        var wrong = torch
        wrong["_blocks.3._bn1.running_var"] = nil
        wrong["_blocks.16._project_conv.weight"] = Tensor.zeros([8, 8, 1, 1])
        wrong["_fc.weight"] = Tensor.zeros([10, 1280])
        do {
            _ = try EfficientNetLite0(torchStateDict: wrong, file: "wrong.pth")
            Issue.record("a wrong state dict was accepted")
        } catch {
            let message = "\(error)"
            for part in ["wrong.pth", "_blocks.3._bn1.running_var", "_blocks.16._project_conv.weight", "_fc.weight",
                         "[1000, 1280]", "[10, 1280]"] {
                #expect(message.contains(part), "the error does not name \(part): \(message)")
            }
        }
    }

    @Test func aMissingWeightsFileSaysHowToFetchIt() {
        let path = "/nonexistent-gesso/models/efficientnet-lite0.pth"
        do {
            _ = try EfficientNetLite0.load(from: URL(fileURLWithPath: path))
            Issue.record("loading a missing file succeeded")
        } catch {
            #expect("\(error)".contains(path) && "\(error)".contains("bash scripts/setup.sh"), "\(error)")
        }
    }
}
