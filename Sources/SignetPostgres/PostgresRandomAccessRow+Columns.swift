import Foundation
import PostgresNIO
import SignetCore

/// Typed reads of the columns Signet's tables hold, by name.
extension PostgresRandomAccessRow {
    func value<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try self[column].decode(T.self)
    }

    /// A nullable column: nil for NULL.
    func optional<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T? {
        let cell = self[column]
        return cell.bytes == nil ? nil : try cell.decode(T.self)
    }

    func date(_ column: String) throws -> Date {
        Date(timeIntervalSince1970: try value(column, as: Double.self))
    }

    func optionalDate(_ column: String) throws -> Date? {
        try value(column, as: Double?.self).map(Date.init(timeIntervalSince1970:))
    }

    func bytes(_ column: String) throws -> [UInt8] {
        Array(try value(column, as: ByteBuffer.self).readableBytesView)
    }

    func optionalBytes(_ column: String) throws -> [UInt8]? {
        try value(column, as: ByteBuffer?.self).map { Array($0.readableBytesView) }
    }

    /// A column holding one of an enum's raw values; an unknown value is a store error (``StoredValue``).
    func stored<Value: RawRepresentable>(_ type: Value.Type, _ column: String, table: String) throws -> Value where Value.RawValue: PostgresDecodable {
        try StoredValue.decode(Value.self, try optional(column, as: Value.RawValue.self), table: table, column: column)
    }

    func optionalStored<Value: RawRepresentable>(_ type: Value.Type, _ column: String, table: String) throws -> Value? where Value.RawValue: PostgresDecodable {
        try StoredValue.decodeOptional(Value.self, try optional(column, as: Value.RawValue.self), table: table, column: column)
    }
}

extension ByteBuffer {
    init(_ bytes: [UInt8]) {
        self.init(bytes: bytes)
    }
}
