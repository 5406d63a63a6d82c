package com.example.rmq.consumer;

/** Sent as a JSON body by the starter's message converter: {"id":..,"amount":..,"note":".."}. */
public class Order {
    private long id;
    private long amount;
    private String note;

    public Order() {
    }

    public Order(long id, long amount, String note) {
        this.id = id;
        this.amount = amount;
        this.note = note;
    }

    public long getId() {
        return id;
    }

    public void setId(long id) {
        this.id = id;
    }

    public long getAmount() {
        return amount;
    }

    public void setAmount(long amount) {
        this.amount = amount;
    }

    public String getNote() {
        return note;
    }

    public void setNote(String note) {
        this.note = note;
    }

    @Override
    public String toString() {
        return "Order{id=" + id + ", amount=" + amount + ", note='" + note + "'}";
    }
}
