import Foundation
import Testing
import GessoModels
import GessoNN

/// The Frechet distance and its symmetric eigenvalue solver, on small cases with answers known in closed form.
struct FrechetDistanceTests {
    /// |got - want| <= atol + rtol * |want|.
    func close(_ got: Double, _ want: Double, atol: Double, rtol: Double, _ what: String,
               sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(abs(got - want) <= atol + rtol * abs(want), "\(what): got \(got), want \(want)", sourceLocation: sourceLocation)
    }

    /// The n x n matrix with 2 on the diagonal and -1 beside it has eigenvalues 2 - 2 cos(k pi / (n + 1)), k = 1...n
    /// (the discrete Laplacian). Tolerance 1e-10 absolute: Jacobi stops at 1e-22 of the squared mass off the diagonal.
    @Test func jacobiFindsTheLaplaciansEigenvalues() {
        let n = 9
        var m = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            m[i * n + i] = 2
            if i + 1 < n { m[i * n + i + 1] = -1; m[(i + 1) * n + i] = -1 }
        }
        let got = FrechetDistance.symmetricEigenvalues(m, size: n)
        let want = (1...n).map { 2 - 2 * cos(Double($0) * .pi / Double(n + 1)) }.sorted()
        for (g, w) in zip(got, want) { close(g, w, atol: 1e-10, rtol: 0, "eigenvalue") }
    }

    /// Random points in 2-D: the sample covariances S1, S2 in Double, and the distance from the 2 x 2 closed form
    /// tr sqrt(S1 S2) = sqrt(tr(S1 S2) + 2 sqrt(det S1 det S2)) (the two eigenvalues of S1 S2 are real and >= 0, and
    /// (sqrt l1 + sqrt l2)^2 = l1 + l2 + 2 sqrt(l1 l2)). The covariances do not commute, so this checks the general
    /// case. Tolerance 1e-8 relative (Double throughout, inputs exactly representable Floats; the eigenvalues are
    /// found to about 1e-12 relative).
    @Test func matchesTheTwoByTwoClosedForm() {
        var g = RandomGenerator(seed: 11)
        func cloud(_ n: Int, _ mix: [Float], _ shift: [Float]) -> Tensor {
            var v: [Float] = []
            for _ in 0..<n {
                let a = g.nextNormal(), b = g.nextNormal()
                v += [mix[0] * a + mix[1] * b + shift[0], mix[2] * a + mix[3] * b + shift[1]]
            }
            return Tensor(shape: [n, 2], scalars: v)
        }
        let x = cloud(7, [1, 0.5, 0, 2], [0, 0]), y = cloud(5, [0.3, 0, -1, 1], [1, -2])
        func stats(_ t: Tensor) -> (mean: [Double], cov: [Double]) {
            let n = t.shape[0], v = t.scalars.map(Double.init)
            let m = [0, 1].map { j in (0..<n).reduce(0.0) { $0 + v[$1 * 2 + j] } / Double(n) }
            var c = [0.0, 0, 0, 0]
            for i in 0..<n { for a in 0..<2 { for b in 0..<2 { c[a * 2 + b] += (v[i * 2 + a] - m[a]) * (v[i * 2 + b] - m[b]) } } }
            return (m, c.map { $0 / Double(n - 1) })
        }
        let (m1, s1) = stats(x), (m2, s2) = stats(y)
        let product = [s1[0] * s2[0] + s1[1] * s2[2], s1[0] * s2[1] + s1[1] * s2[3],
                       s1[2] * s2[0] + s1[3] * s2[2], s1[2] * s2[1] + s1[3] * s2[3]]
        let det1 = s1[0] * s1[3] - s1[1] * s1[2], det2 = s2[0] * s2[3] - s2[1] * s2[2]
        let traceSqrt = (product[0] + product[3] + 2 * (det1 * det2).squareRoot()).squareRoot()
        let want = pow(m1[0] - m2[0], 2) + pow(m1[1] - m2[1], 2) + s1[0] + s1[3] + s2[0] + s2[3] - 2 * traceSqrt
        close(FrechetDistance.between(x, y), want, atol: 1e-10, rtol: 1e-8, "2-D distance")
        close(FrechetDistance.between(y, x), want, atol: 1e-10, rtol: 1e-8, "symmetric")
    }

    /// In more dimensions (64) than points (40): the same set gives 0, and the set moved by d gives
    /// |d|^2 (equal covariances cancel). Tolerance 1e-6 of the total variance: the shifted copy is rounded to Float.
    @Test func sameSetIsZeroAndAShiftIsItsSquaredLength() {
        var g = RandomGenerator(seed: 2)
        let x = Tensor.randomNormal([40, 64], using: &g)
        let shift = (0..<64).map { Float($0 % 5) * 0.25 }
        let moved = Tensor(shape: [40, 64], scalars: x.scalars.enumerated().map { $0.element + shift[$0.offset % 64] })
        let variance = 64.0   // about tr(S) for standard normal features
        close(FrechetDistance.between(x, x), 0, atol: 1e-6 * variance, rtol: 0, "same set")
        let squared = shift.reduce(0.0) { $0 + Double($1) * Double($1) }
        close(FrechetDistance.between(x, moved), squared, atol: 1e-6 * variance, rtol: 1e-6, "shifted set")
    }
}
