import Foundation

/// A factor on the base learning rate as a function of the step: a trainer sets
/// `optimizer.learningRate = baseRate * schedule.factor(at: optimizer.step)` before each update.
///
/// Codable (for the options written into a run folder), e.g. `{"warmup":{"steps":100,"then":{"cosine":
/// {"totalSteps":1000,"minimumFactor":0}}}}`.
public enum LearningRateSchedule: Codable, Equatable, Sendable {
    /// Always 1.
    case constant
    /// `factor^(step / every)` (integer division): multiplied by `factor` every `every` steps.
    case step(every: Int, factor: Float)
    /// From 1 at step 0 down to `minimumFactor` at `totalSteps` along half a cosine, then `minimumFactor`.
    case cosine(totalSteps: Int, minimumFactor: Float = 0)
    /// `(step + 1) / steps` for the first `steps` steps (linear from 1/steps to 1), then the inner schedule
    /// counted from the end of warm-up (its step 0 is step `steps`).
    indirect case warmup(steps: Int, then: LearningRateSchedule)

    /// The factor for step `step` (0-based) that multiplies the base learning rate. The schedule must be valid
    /// (see `validate()`); a negative step counts as step 0.
    public func factor(at step: Int) -> Float {
        let step = max(step, 0)
        switch self {
        case .constant:
            return 1
        case let .step(every, factor):
            precondition(every > 0, "LearningRateSchedule.step: every is \(every), must be > 0")
            return Float(pow(Double(factor), Double(step / every)))
        case let .cosine(totalSteps, minimumFactor):
            precondition(totalSteps > 0, "LearningRateSchedule.cosine: totalSteps is \(totalSteps), must be > 0")
            guard step < totalSteps else { return minimumFactor }
            let progress = Double(step) / Double(totalSteps)
            let minimum = Double(minimumFactor)
            return Float(minimum + (1 - minimum) * 0.5 * (1 + cos(Double.pi * progress)))
        case let .warmup(steps, then):
            precondition(steps >= 0, "LearningRateSchedule.warmup: steps is \(steps), must be >= 0")
            guard step < steps else { return then.factor(at: step - steps) }
            return Float(Double(step + 1) / Double(steps))
        }
    }

    /// Throws `LearningRateScheduleError` naming the first value out of range (for schedules read from options
    /// or files, before `factor(at:)` relies on them).
    public func validate() throws {
        switch self {
        case .constant:
            return
        case let .step(every, factor):
            guard every > 0 else { throw LearningRateScheduleError("step schedule: every is \(every); it must be > 0") }
            guard factor.isFinite, factor >= 0 else {
                throw LearningRateScheduleError("step schedule: factor is \(factor); it must be finite and >= 0")
            }
        case let .cosine(totalSteps, minimumFactor):
            guard totalSteps > 0 else {
                throw LearningRateScheduleError("cosine schedule: totalSteps is \(totalSteps); it must be > 0")
            }
            guard minimumFactor.isFinite, minimumFactor >= 0 else {
                throw LearningRateScheduleError("cosine schedule: minimumFactor is \(minimumFactor); it must be finite and >= 0")
            }
        case let .warmup(steps, then):
            guard steps >= 0 else { throw LearningRateScheduleError("warm-up: steps is \(steps); it must be >= 0") }
            try then.validate()
        }
    }
}

/// A learning-rate schedule with a value out of range; the message names it and the allowed range.
public struct LearningRateScheduleError: Error, Equatable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
