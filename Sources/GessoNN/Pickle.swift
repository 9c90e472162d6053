import Foundation

/// A value of Python's pickle format, as far as Gesso reads it: plain data, the containers, whitelisted globals,
/// and the two torch objects a checkpoint's pickle builds (storages and tensor views of them).
/// Lists and dicts are classes because a pickle shares and fills them after creating them (through its memo).
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer wider than 64 bits: its two's-complement bytes, little-endian (torch's magic number is one).
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    /// A callable or class the reader accepted by name.
    case global(module: String, name: String)
    case storage(TorchStorageReference)
    case tensor(TorchTensorView)

    /// What the value is, for error messages.
    var kind: String {
        switch self {
        case .none: return "None"
        case .bool: return "a bool"
        case .int, .bigInt: return "an int"
        case .float: return "a float"
        case .string(let s): return "the string \"\(s.prefix(40))\""
        case .bytes: return "bytes"
        case .tuple(let items): return "a tuple of \(items.count)"
        case .list: return "a list"
        case .dict: return "a dict"
        case .global(let module, let name): return "\(module).\(name)"
        case .storage: return "a storage"
        case .tensor: return "a tensor"
        }
    }

    /// The name a dict key gives a tensor: strings as they are, ints in decimal; nil for other keys.
    var keyName: String? {
        switch self {
        case .string(let s): return s
        case .int(let i): return String(i)
        default: return nil
        }
    }
}

final class PickleList {
    var items: [PickleValue] = []
    init(_ items: [PickleValue] = []) { self.items = items }
}

/// A dict in insertion order (Python's dicts and OrderedDicts keep it; state dicts rely on it).
final class PickleDict {
    private(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    private var index: [String: Int] = [:]

    subscript(key: String) -> PickleValue? { index["s" + key].map { entries[$0].value } }

    /// Sets a key, replacing an equal string or int key as Python would.
    func set(_ key: PickleValue, _ value: PickleValue) {
        let hashKey: String?
        switch key {
        case .string(let s): hashKey = "s" + s
        case .int(let i): hashKey = "i\(i)"
        default: hashKey = nil
        }
        if let hashKey, let i = index[hashKey] {
            entries[i].value = value
        } else {
            if let hashKey { index[hashKey] = entries.count }
            entries.append((key, value))
        }
    }
}

/// Bounds-checked little-endian reads from a file's bytes; running out names the file, the offset and what was
/// expected there.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0
    let path: String
    /// Where in the file the bytes lie, for messages: "" (the file itself) or " of archive/data.pkl".
    let part: String

    init(_ bytes: UnsafeRawBufferPointer, path: String, part: String = "") {
        self.bytes = bytes
        self.path = path
        self.part = part
    }

    var remaining: Int { bytes.count - offset }

    func error(_ problem: String) -> CheckpointError { CheckpointError(path: path, problem: problem) }

    func truncated(_ what: String, _ count: Int) -> CheckpointError {
        error("is truncated: \(what) (\(count) bytes) should be at byte \(offset)\(part), but only \(remaining) " +
              "bytes are left; save or download the checkpoint again")
    }

    /// The next `count` bytes.
    mutating func take(_ count: Int, _ what: String) throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= remaining else { throw truncated(what, count) }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
    }

    /// An unsigned little-endian integer of `width` bytes (1 to 8).
    mutating func uint(_ width: Int, _ what: String) throws -> UInt64 {
        try take(width, what).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// A length or count that must fit in an Int; a larger one cannot be in the file, so it reads as truncation.
    mutating func length(_ width: Int, _ what: String) throws -> Int {
        Int(clamping: try uint(width, what))
    }
}

/// Runs the opcodes of a pickle (protocols 2 to 5, the binary ones torch.save writes) without executing anything:
/// globals are looked up through `global`, which refuses all but a whitelist, and REDUCE / NEWOBJ call `call`,
/// which knows only those. Persistent ids (torch's storages) go to `persistentLoad`.
struct PickleMachine {
    var reader: ByteReader
    let global: (_ module: String, _ name: String) throws -> PickleValue
    let call: (_ callable: PickleValue, _ arguments: [PickleValue]) throws -> PickleValue
    let persistentLoad: (PickleValue) throws -> PickleValue

    /// Runs from the reader's offset to STOP; returns the pickled value and leaves the reader after STOP.
    mutating func run() throws -> PickleValue {
        var stack: [PickleValue] = []
        var marks: [Int] = []
        var memo: [Int: PickleValue] = [:]
        var opcodeOffset = 0

        func damaged(_ what: String) -> CheckpointError {
            reader.error("has a damaged pickle: \(what) (opcode at byte \(opcodeOffset)\(reader.part)); save the checkpoint again")
        }
        func pop() throws -> PickleValue {
            guard let value = stack.popLast() else { throw damaged("a value is taken from an empty stack") }
            if let mark = marks.last, stack.count < mark { throw damaged("a value is taken from below a MARK") }
            return value
        }
        func popMark() throws -> [PickleValue] {
            guard let mark = marks.popLast(), mark <= stack.count else { throw damaged("MARK expected") }
            defer { stack.removeSubrange(mark...) }
            return Array(stack[mark...])
        }
        func top() throws -> PickleValue {
            guard let value = stack.last else { throw damaged("the stack is empty") }
            return value
        }
        func remember(_ key: Int) throws { memo[key] = try top() }
        func recall(_ key: Int) throws {
            guard let value = memo[key] else { throw damaged("memo entry \(key) is used but was never stored") }
            stack.append(value)
        }
        func string(_ count: Int, _ what: String) throws -> String {
            guard let s = String(bytes: try reader.take(count, what), encoding: .utf8) else { throw damaged("\(what) is not UTF-8") }
            return s
        }
        /// A text line ending in "\n" (GLOBAL's module and name, PUT and GET's keys).
        func line(_ what: String) throws -> String {
            guard let end = reader.bytes[reader.offset...].firstIndex(of: 0x0A) else {
                throw reader.truncated("\(what) ending in a newline", reader.remaining + 1)
            }
            let text = try string(end - reader.offset, what)
            reader.offset += 1
            return text
        }
        /// LONG1 / LONG4: two's complement, little-endian.
        func long(_ bytes: UnsafeRawBufferPointer) -> PickleValue {
            guard let last = bytes.last else { return .int(0) }
            let fill: UInt8 = last & 0x80 != 0 ? 0xFF : 0
            if bytes.count > 8 && (bytes[8...].contains { $0 != fill } || (bytes[7] & 0x80) != (fill & 0x80)) {
                return .bigInt(Array(bytes))  // does not fit in 64 bits
            }
            var value: UInt64 = 0
            for i in (0..<8).reversed() { value = value << 8 | UInt64(i < bytes.count ? bytes[i] : fill) }
            return .int(Int(Int64(bitPattern: value)))
        }
        func keyed(_ items: [PickleValue]) throws -> PickleDict {
            guard items.count % 2 == 0 else { throw damaged("a dict has a key without a value") }
            let dict = PickleDict()
            for i in stride(from: 0, to: items.count, by: 2) { dict.set(items[i], items[i + 1]) }
            return dict
        }

        while true {
            opcodeOffset = reader.offset
            let opcode = UInt8(try reader.uint(1, "a pickle opcode"))
            switch opcode {
            case 0x80:  // PROTO
                let version = try reader.uint(1, "the pickle protocol")
                guard version <= 5 else { throw damaged("pickle protocol \(version) is newer than 5") }
            case 0x95: _ = try reader.uint(8, "a FRAME length")  // FRAME: frames only group opcodes
            case 0x2E: return try pop()  // STOP
            case 0x28: marks.append(stack.count)  // MARK
            case 0x30: _ = try pop()  // POP
            case 0x31: _ = try popMark()  // POP_MARK
            case 0x32: stack.append(try top())  // DUP
            case 0x4E: stack.append(.none)  // NONE
            case 0x88: stack.append(.bool(true))  // NEWTRUE
            case 0x89: stack.append(.bool(false))  // NEWFALSE
            case 0x4A: stack.append(.int(Int(Int32(truncatingIfNeeded: try reader.uint(4, "a BININT")))))
            case 0x4B: stack.append(.int(Int(try reader.uint(1, "a BININT1"))))
            case 0x4D: stack.append(.int(Int(try reader.uint(2, "a BININT2"))))
            case 0x8A: stack.append(long(try reader.take(try reader.length(1, "a LONG1 length"), "a LONG1")))
            case 0x8B: stack.append(long(try reader.take(try reader.length(4, "a LONG4 length"), "a LONG4")))
            case 0x47:  // BINFLOAT: big-endian
                let bits = try reader.take(8, "a BINFLOAT").reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                stack.append(.float(Double(bitPattern: bits)))
            case 0x8C: stack.append(.string(try string(try reader.length(1, "a SHORT_BINUNICODE length"), "a SHORT_BINUNICODE")))
            case 0x58: stack.append(.string(try string(try reader.length(4, "a BINUNICODE length"), "a BINUNICODE")))
            case 0x8D: stack.append(.string(try string(try reader.length(8, "a BINUNICODE8 length"), "a BINUNICODE8")))
            case 0x55: stack.append(.string(try string(try reader.length(1, "a SHORT_BINSTRING length"), "a SHORT_BINSTRING")))
            case 0x54: stack.append(.string(try string(try reader.length(4, "a BINSTRING length"), "a BINSTRING")))
            case 0x43: stack.append(.bytes(Array(try reader.take(try reader.length(1, "a SHORT_BINBYTES length"), "SHORT_BINBYTES"))))
            case 0x42: stack.append(.bytes(Array(try reader.take(try reader.length(4, "a BINBYTES length"), "BINBYTES"))))
            case 0x8E: stack.append(.bytes(Array(try reader.take(try reader.length(8, "a BINBYTES8 length"), "BINBYTES8"))))
            case 0x29: stack.append(.tuple([]))  // EMPTY_TUPLE
            case 0x85: stack.append(.tuple([try pop()]))  // TUPLE1
            case 0x86: let b = try pop(), a = try pop(); stack.append(.tuple([a, b]))  // TUPLE2
            case 0x87: let c = try pop(), b = try pop(), a = try pop(); stack.append(.tuple([a, b, c]))  // TUPLE3
            case 0x74: stack.append(.tuple(try popMark()))  // TUPLE
            case 0x5D: stack.append(.list(PickleList()))  // EMPTY_LIST
            case 0x6C: stack.append(.list(PickleList(try popMark())))  // LIST
            case 0x7D: stack.append(.dict(PickleDict()))  // EMPTY_DICT
            case 0x64: stack.append(.dict(try keyed(try popMark())))  // DICT
            case 0x61, 0x65:  // APPEND, APPENDS
                let items = try opcode == 0x61 ? [pop()] : popMark()
                let target = try top()
                guard case .list(let list) = target else { throw damaged("APPEND to \(target.kind), not a list") }
                list.items += items
            case 0x73, 0x75:  // SETITEM, SETITEMS
                let items: [PickleValue]
                if opcode == 0x73 { let value = try pop(); items = [try pop(), value] } else { items = try popMark() }
                let target = try top()
                guard case .dict(let dict) = target else { throw damaged("SETITEM on \(target.kind), not a dict") }
                for (key, value) in try keyed(items).entries { dict.set(key, value) }
            case 0x71: try remember(Int(try reader.uint(1, "a BINPUT key")))
            case 0x72: try remember(Int(try reader.uint(4, "a LONG_BINPUT key")))
            case 0x94: try remember(memo.count)  // MEMOIZE
            case 0x70:  // PUT (text)
                guard let key = Int(try line("a PUT key")) else { throw damaged("a PUT key is not a number") }
                try remember(key)
            case 0x68: try recall(Int(try reader.uint(1, "a BINGET key")))
            case 0x6A: try recall(Int(try reader.uint(4, "a LONG_BINGET key")))
            case 0x67:  // GET (text)
                guard let key = Int(try line("a GET key")) else { throw damaged("a GET key is not a number") }
                try recall(key)
            case 0x63:  // GLOBAL
                let module = try line("a GLOBAL module name")
                stack.append(try global(module, try line("a GLOBAL name")))
            case 0x93:  // STACK_GLOBAL
                guard case .string(let name) = try pop(), case .string(let module) = try pop() else {
                    throw damaged("STACK_GLOBAL needs a module and a name")
                }
                stack.append(try global(module, name))
            case 0x52, 0x81:  // REDUCE, NEWOBJ
                guard case .tuple(let arguments) = try pop() else { throw damaged("REDUCE's arguments are not a tuple") }
                stack.append(try call(try pop(), arguments))
            case 0x92:  // NEWOBJ_EX
                guard case .dict(let keywords) = try pop(), keywords.entries.isEmpty, case .tuple(let arguments) = try pop() else {
                    throw damaged("NEWOBJ_EX with keyword arguments")
                }
                stack.append(try call(try pop(), arguments))
            case 0x62:  // BUILD: sets an object's attributes (an OrderedDict's _metadata); nothing Gesso keeps.
                _ = try pop()
                _ = try top()
            case 0x51: stack.append(try persistentLoad(try pop()))  // BINPERSID
            default:
                throw reader.error("has a pickle opcode Gesso does not read (0x\(String(opcode, radix: 16)) at byte " +
                                   "\(opcodeOffset)\(reader.part)): it is damaged, or was not written by torch.save")
            }
        }
    }
}
