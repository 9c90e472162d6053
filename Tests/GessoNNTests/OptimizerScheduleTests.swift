import Foundation
import Testing
@testable import GessoOptim
import TensorCore

/// Learning-rate schedules at chosen steps. Expected values are worked out by hand in the comments; the
/// factors are computed in Double and rounded to Float, so they are within an ulp of the exact value:
/// |got - want| <= 1e-6 (about 8 ulps of 1) absorbs the rounding of the Float literals here too.
@Suite struct OptimizerScheduleTests {
    static func expectFactors(_ schedule: LearningRateSchedule, _ expected: [(step: Int, factor: Float)],
                              sourceLocation: SourceLocation = #_sourceLocation) {
        for (step, want) in expected {
            let got = schedule.factor(at: step)
            #expect(abs(got - want) <= 1e-6, "\(schedule) at step \(step): got \(got), want \(want)",
                    sourceLocation: sourceLocation)
        }
    }

    @Test func constant() {
        Self.expectFactors(.constant, [(0, 1), (1, 1), (1_000_000, 1)])
    }

    @Test func step() {
        // 0.5^(step / 10): steps 0-9 at 1, 10-19 at 0.5, 20-29 at 0.25, 35 at 0.125.
        Self.expectFactors(.step(every: 10, factor: 0.5), [(0, 1), (9, 1), (10, 0.5), (19, 0.5), (20, 0.25), (35, 0.125)])
        Self.expectFactors(.step(every: 1, factor: 0.9), [(0, 1), (1, 0.9), (2, 0.81)])
    }

    @Test func cosine() {
        // 0.1 + 0.9 * (1 + cos(pi * step / 100)) / 2: 1 at 0; at 25 cos(pi/4) = 0.70710678, so
        // 0.1 + 0.45 * 1.70710678 = 0.86819805; 0.55 at 50; at 75 0.1 + 0.45 * 0.29289322 = 0.23180195;
        // 0.1 from 100 on.
        Self.expectFactors(.cosine(totalSteps: 100, minimumFactor: 0.1),
                           [(0, 1), (25, 0.86819805), (50, 0.55), (75, 0.23180195), (100, 0.1), (1000, 0.1)])
        // To 0 by default: (1 + cos(pi / 2)) / 2 = 0.5 half-way.
        Self.expectFactors(.cosine(totalSteps: 4), [(0, 1), (2, 0.5), (4, 0), (5, 0)])
    }

    @Test func warmupThenCosine() {
        // Warm-up over 4 steps: (step + 1) / 4 = 0.25, 0.5, 0.75, 1; then cosine over 10 steps counted from
        // step 4: (1 + cos(pi * (step - 4) / 10)) / 2, so 1 at 4, at 6 (1 + cos(pi/5)) / 2 = (1 + 0.80901699) / 2
        // = 0.90450850, 0.5 at 9, 0 from 14 on.
        let schedule = LearningRateSchedule.warmup(steps: 4, then: .cosine(totalSteps: 10))
        Self.expectFactors(schedule, [(0, 0.25), (1, 0.5), (2, 0.75), (3, 1), (4, 1), (6, 0.90450850), (9, 0.5),
                                      (14, 0), (100, 0)])
        // No warm-up at all is the inner schedule.
        Self.expectFactors(.warmup(steps: 0, then: .step(every: 2, factor: 0.1)), [(0, 1), (2, 0.1)])
        // Warm-up into a constant rate.
        Self.expectFactors(.warmup(steps: 2, then: .constant), [(0, 0.5), (1, 1), (2, 1), (50, 1)])
    }

    @Test func trainerUse() {
        // A trainer sets the rate before each step from the base rate and the optimizer's step.
        var optimizer = SGD(learningRate: 0.2)
        let schedule = LearningRateSchedule.warmup(steps: 2, then: .constant)
        var parameters = ["w": Tensor.zeros([1])]
        var rates: [Float] = []
        for _ in 0..<3 {
            optimizer.learningRate = 0.2 * schedule.factor(at: optimizer.step)
            rates.append(optimizer.learningRate)
            optimizer.update(&parameters, with: ["w": Tensor.ones([1])])
        }
        #expect(rates == [0.1, 0.2, 0.2])
        // w = -(0.1 + 0.2 + 0.2) * 1
        #expect(abs(parameters["w"]!.scalars[0] + 0.5) <= 1e-6)
    }

    @Test func codableRoundTrip() throws {
        let schedule = LearningRateSchedule.warmup(steps: 100, then: .cosine(totalSteps: 1000, minimumFactor: 0.05))
        let data = try JSONEncoder().encode(schedule)
        #expect(try JSONDecoder().decode(LearningRateSchedule.self, from: data) == schedule)
        let written = #"{"warmup":{"steps":10,"then":{"step":{"every":5,"factor":0.5}}}}"#
        #expect(try JSONDecoder().decode(LearningRateSchedule.self, from: Data(written.utf8))
            == .warmup(steps: 10, then: .step(every: 5, factor: 0.5)))
    }

    @Test func validateNamesTheValueOutOfRange() {
        #expect(throws: Never.self) { try LearningRateSchedule.warmup(steps: 3, then: .cosine(totalSteps: 5)).validate() }
        let bad: [(LearningRateSchedule, String)] = [
            (.step(every: 0, factor: 0.5), "every is 0"),
            (.step(every: 3, factor: -1), "factor is -1"),
            (.cosine(totalSteps: 0), "totalSteps is 0"),
            (.warmup(steps: -1, then: .constant), "steps is -1"),
            (.warmup(steps: 5, then: .cosine(totalSteps: -2)), "totalSteps is -2"),
        ]
        for (schedule, message) in bad {
            #expect {
                try schedule.validate()
            } throws: { error in
                (error as? LearningRateScheduleError)?.description.contains(message) == true
            }
        }
    }
}
