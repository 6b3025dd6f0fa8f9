//! A trainee's lab password, made up at `classroom up`: 12 characters from an alphabet without
//! the look-alikes (0/O, 1/l/I), so it can be read aloud or copied from a screen; about 70 bits.
//! It passes the lab password's rules (`lab::listen::LabPassword`).

use rand::Rng;

/// The characters a password is made of.
const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// The length of a password.
pub const LENGTH: usize = 12;

/// A new password.
pub fn generate() -> crate::lab::listen::LabPassword {
    let mut rng = rand::thread_rng();
    let text: String = (0..LENGTH)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect();
    crate::lab::listen::LabPassword::new(&text, "classroom")
        .expect("12 letters and digits pass the password's rules")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_differ_and_avoid_look_alikes() {
        let a = generate();
        let b = generate();
        assert_ne!(a.reveal(), b.reveal());
        assert_eq!(a.reveal().len(), LENGTH);
        assert!(!a.reveal().contains(['0', 'O', '1', 'l', 'I']));
    }
}
