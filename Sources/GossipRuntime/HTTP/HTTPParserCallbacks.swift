import CHTTPParser

// http_parser calls plain C function pointers. These closures capture nothing (a requirement for C
// function pointers) and are written in a nonisolated free function, so no actor isolation is attached
// to them; they find their Swift parser through `parser->data`, set by HTTPRequestParser.init.

private func owner(_ parser: UnsafeMutablePointer<http_parser>?) -> HTTPRequestParser? {
    guard let data = parser?.pointee.data else { return nil }
    return Unmanaged<HTTPRequestParser>.fromOpaque(data).takeUnretainedValue()
}

private func buffer(_ at: UnsafePointer<CChar>?, _ length: Int) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: at, count: at == nil ? 0 : length)
}

/// Fills `settings` with the request callbacks.
func installRequestCallbacks(_ settings: UnsafeMutablePointer<http_parser_settings>) {
    http_parser_settings_init(settings)
    settings.pointee.on_message_begin = { parser in
        owner(parser)?.onMessageBegin() ?? -1
    }
    settings.pointee.on_url = { parser, at, length in
        owner(parser)?.onURL(buffer(at, length)) ?? -1
    }
    settings.pointee.on_header_field = { parser, at, length in
        owner(parser)?.onHeaderField(buffer(at, length)) ?? -1
    }
    settings.pointee.on_header_value = { parser, at, length in
        owner(parser)?.onHeaderValue(buffer(at, length)) ?? -1
    }
    settings.pointee.on_headers_complete = { parser in
        owner(parser)?.onHeadersComplete() ?? -1
    }
    settings.pointee.on_body = { parser, at, length in
        owner(parser)?.onBody(buffer(at, length)) ?? -1
    }
    settings.pointee.on_message_complete = { parser in
        owner(parser)?.onMessageComplete() ?? -1
    }
}
