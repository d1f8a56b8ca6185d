//! Length-prefixed framing over a receive buffer that may hold part of a frame, one frame,
//! or several.

use thiserror::Error;

/// A bad length prefix; the stream cannot be resynchronised, so the connection must go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum FrameError {
    #[error("packet len {0} is out of range")]
    TooLarge(usize),
    #[error("negative packet len {0}")]
    Negative(i32),
}

/// The payload length announced at the start of `buf`; `None` until 4 bytes are there.
pub fn frame_len(buf: &[u8], max: usize) -> Result<Option<usize>, FrameError> {
    let Some(prefix) = buf.first_chunk::<4>() else {
        return Ok(None);
    };
    let len = i32::from_be_bytes(*prefix);
    let len = usize::try_from(len).map_err(|_| FrameError::Negative(len))?;
    if len > max {
        return Err(FrameError::TooLarge(len));
    }
    Ok(Some(len))
}

/// The first complete frame in `buf` as (payload, bytes consumed including the prefix);
/// `None` until all of it has arrived.
pub fn split_frame(buf: &[u8], max: usize) -> Result<Option<(&[u8], usize)>, FrameError> {
    let Some(len) = frame_len(buf, max)? else {
        return Ok(None);
    };
    let end = 4 + len;
    Ok(buf.get(4..end).map(|payload| (payload, end)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::consts::DEFAULT_MAX_FRAME;
    use crate::proto::test_util::hex;

    #[test]
    fn partial_prefix_and_partial_payload_wait_for_more() {
        let frame = hex("00000003 616263");
        for cut in 0..4 {
            assert_eq!(frame_len(&frame[..cut], DEFAULT_MAX_FRAME), Ok(None));
        }
        for cut in 0..frame.len() {
            assert_eq!(
                split_frame(&frame[..cut], DEFAULT_MAX_FRAME),
                Ok(None),
                "cut at {cut}"
            );
        }
        assert_eq!(frame_len(&frame[..4], DEFAULT_MAX_FRAME), Ok(Some(3)));
    }

    #[test]
    fn exact_frame_is_split_off() {
        let frame = hex("00000003 616263");
        assert_eq!(
            split_frame(&frame, DEFAULT_MAX_FRAME),
            Ok(Some((&b"abc"[..], 7)))
        );
        let empty = hex("00000000");
        assert_eq!(
            split_frame(&empty, DEFAULT_MAX_FRAME),
            Ok(Some((&[][..], 4)))
        );
    }

    #[test]
    fn back_to_back_frames_split_one_at_a_time() {
        let buf = hex("00000001 61 00000002 6263 000000");
        let (first, used) = split_frame(&buf, 16).unwrap().unwrap();
        assert_eq!((first, used), (&b"a"[..], 5));
        let (second, used2) = split_frame(&buf[used..], 16).unwrap().unwrap();
        assert_eq!((second, used2), (&b"bc"[..], 6));
        assert_eq!(split_frame(&buf[used + used2..], 16), Ok(None));
    }

    #[test]
    fn oversize_and_negative_lengths_are_errors_before_the_payload_arrives() {
        assert_eq!(
            frame_len(&hex("00100000"), DEFAULT_MAX_FRAME),
            Err(FrameError::TooLarge(0x10_0000))
        );
        assert_eq!(
            frame_len(&hex("000fffff"), DEFAULT_MAX_FRAME),
            Ok(Some(0xfffff))
        );
        assert_eq!(
            split_frame(&hex("00000011"), 16),
            Err(FrameError::TooLarge(17))
        );
        assert_eq!(
            split_frame(&hex("ffffffff"), 16),
            Err(FrameError::Negative(-1))
        );
        assert_eq!(
            frame_len(&hex("80000000"), 16),
            Err(FrameError::Negative(i32::MIN))
        );
    }
}
